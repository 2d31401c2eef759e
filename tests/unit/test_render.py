"""Terminal tables line up when cells mix Chinese (two cells wide) and Latin text."""

from rich.cells import cell_len

from kuaifa.cli.render import pad, table


def test_chinese_columns_start_at_the_same_terminal_column():
    lines = table(["商家编码", "仓库", "在库"], [["TEA-001", "主仓", 5], ["茶叶礼盒-大号", "MAIN", 12]], "<<>")

    second_column = [
        cell_len(line[: line.index(word)]) for line, word in zip(lines, ["仓库", "主仓", "MAIN"], strict=True)
    ]
    assert second_column == [15, 15, 15]
    assert [cell_len(line) for line in lines] == [25, 25, 25]
    assert lines[1] == "TEA-001        主仓     5"


def test_pad_counts_a_chinese_character_as_two_cells():
    assert pad("已挂起", 8) == "已挂起  "
    assert pad("12", 5, ">") == "   12"
    assert pad("太长的文字", 4) == "太长的文字"  # longer text is kept whole
