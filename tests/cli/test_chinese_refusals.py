"""A refusal read in Chinese is Chinese throughout: the reason inside the sentence is translated too, so a merchant
never meets an English clause inside a Chinese message. Each case runs the installed ``kuaifa`` command (``--json``
off) on one throw-away home and compares the whole error line."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
KUAIFA = str(Path(sys.executable).with_name("kuaifa"))
ENGLISH_RUN = re.compile(r"[A-Za-z]+(?:[\s,;:'-]+[A-Za-z]+){2,}")
RECEIVER = [
    "--name",
    "张三",
    "--phone",
    "13800000000",
    "--province",
    "浙江省",
    "--city",
    "杭州市",
    "--address",
    "文一路1号",
]


def run(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"KUAIFA_HOME": str(home), "PATH": "/usr/bin:/bin", "KUAIFA_LANG": "zh-hans",
           "KUAIFA_NOW": "2024-06-26T12:00:00+08:00"}  # fmt: skip
    return subprocess.run([KUAIFA, *map(str, args)], env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    """SKU master imported, shop A, team member bob and a manual order M1 (held for review)."""
    home = tmp_path_factory.mktemp("zh") / "home"
    for args in (["init"], ["import-skus", FIXTURES / "skus.csv"], ["shop", "add", "A"],
                 ["user", "add", "bob", "--role", "owner"],
                 ["order-add", "--shop", "A", *RECEIVER, "--item", "TEA-001*1@1", "--order-sn", "M1"]):  # fmt: skip
        assert run(home, *args).returncode == 0, args
    sheets = home.parent
    (sheets / "twice.csv").write_text("商家编码,仓库,数量\nTEA-001,main,1\nTEA-001,main,2\n")
    (sheets / "tariffs.csv").write_text("快递公司,省份,首重(g),首重费(元),续重(g),续重费(元)\n")
    (sheets / "clash.csv").write_text("快递公司,省份,首重(g),首重费(元),续重(g),续重费(元)\n"
                                      "ZTO,浙江、江苏,1000,3,1000,1\nZTO,江苏,1000,4,1000,2\n")  # fmt: skip
    return home


CASES = [
    # (id, args, the whole error line)
    ("stock-adjust-zero", ["stock", "adjust", "TEA-001", "0"],
     "错误 [invalid_input]: 数量：调整数量为零，没有变化，请填写非零数量"),
    ("stock-below-zero", ["stock", "adjust", "TEA-001", "-5"],
     "错误 [invalid_input]: 数量：TEA-001：现有库存不能低于零（调整后为 -5），请改小数量"),
    ("stock-receive-zero", ["stock", "receive", "TEA-001", "0"],
     "错误 [invalid_input]: 数量：入库数量必须是正整数（填写的是 0）"),
    ("box-size-unreadable", ["box", "add", "B1", "--size", "30x20", "--max-load", "100"],
     "错误 [invalid_input]: --size：'30x20'：请按 长x宽x高（毫米）填写，例如 300x200x150"),
    ("box-flat", ["box", "add", "B1", "--size", "0x20x10", "--max-load", "100"],
     "错误 [box.invalid_box]: 箱型 B1：内尺寸必须是正数毫米"),
    ("shop-twice", ["shop", "add", "A"],
     "错误 [invalid_input]: 名称：已有名为 'A' 的店铺，请换一个名字"),
    ("shop-unnamed", ["shop", "add", ""],
     "错误 [invalid_input]: 名称：请填写店铺名称"),
    ("person-twice", ["user", "add", "bob", "--role", "owner"],
     "错误 [invalid_input]: 用户名：成员 bob 已存在，请换一个名字"),
    ("order-unknown-sku", ["order-add", "--shop", "A", *RECEIVER, "--item", "NOPE*1@1"],
     "错误 [invalid_input]: 第 1 行：未知的商家编码 'NOPE'，请先建商品"),
    ("order-twice", ["order-add", "--shop", "A", *RECEIVER, "--item", "TEA-001*1@1", "--order-sn", "M1"],
     "错误 [invalid_input]: 订单号：订单 M1 已存在于店铺 A，请换一个订单号"),
    ("ship-without-tracking", ["ship", "M1", "--carrier", "YTO", "--tracking", ""],
     "错误 [invalid_input]: 运单号：发货需要填写运单号"),
    ("ship-a-held-order", ["ship", "M1", "--carrier", "YTO", "--tracking", "YT1234567890123", "--offline"],
     "错误 [ship.refused]: 订单 M1 不能发货：它当前为 已挂起，还不能发货"),
    ("ship-tracking-too-short", ["ship", "M1", "--carrier", "YTO", "--tracking", "AB12"],
     "错误 [invalid_input]: 运单号：运单号 AB12：4 位太短（至少 6 位）。"),
    ("ship-tracking-with-a-space", ["ship", "M1", "--carrier", "YTO", "--tracking", "YT1234 567890"],
     "错误 [invalid_input]: 运单号：运单号 YT1234 567890：运单号里有空格。"),
    ("empty-tariff-sheet", ["carrier", "tariffs", "{sheets}/tariffs.csv"],
     "错误 [invalid_input]: 文件：运价表没有内容"),
    ("tariff-row-twice", ["carrier", "tariffs", "{sheets}/clash.csv"],
     "错误 [carrier.invalid_tariff_row]: 运价表第 3 行：ZTO 的运费模板：江苏 重复定价，每个地区只能报一次价。"
     "整张表都没有导入，原有运价不变。"),
    ("stock-counted-twice", ["import-stock", "{sheets}/twice.csv"],
     "第 3 行，列「商家编码」，值 'TEA-001'：在仓库 main 中盘点了两次：见第 2 行，请合并为一行"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "line"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_refusal_in_chinese_names_what_to_fix_without_english(home, args, line):
    result = run(home, *(a.format(sheets=home.parent) for a in args))

    shown = (result.stderr + result.stdout).strip().splitlines()
    assert result.returncode == 1
    assert line in shown
    assert ENGLISH_RUN.findall(line) == []
    assert "Traceback" not in result.stderr


def test_the_english_run_detector_catches_an_english_clause():
    assert ENGLISH_RUN.findall("订单 M1 不能发货：it has already shipped") == ["it has already shipped"]
    assert ENGLISH_RUN.findall("--size：'30x20'：请按 长x宽x高（毫米）填写") == []
