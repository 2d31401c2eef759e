"""The actor of a change: a typed identity stored in the audit columns' existing text form."""

import pytest

from kuaifa.domain.shared.actor import STORED_LENGTH, Actor, ActorKind, InvalidActor


def test_each_kind_is_stored_as_kind_and_name_like_the_rows_before_it():
    assert [a.stored for a in (Actor.cli("li"), Actor.user("王芳"), Actor.system("auto-cancel"))] == [
        "cli:li",
        "user:王芳",
        "system:auto-cancel",
    ]
    assert (Actor.worker().stored, Actor.platform().stored, str(Actor.worker("sync"))) == (
        "worker",
        "platform",
        "worker:sync",
    )


def test_a_stored_actor_reads_back_as_the_same_identity():
    for actor in (Actor.cli("li"), Actor.worker(), Actor.user("a:b"), Actor.system("sla")):
        assert Actor.parse(actor.stored) == actor
    assert Actor.parse("worker") == Actor(ActorKind.WORKER)


def test_a_row_from_before_the_type_with_another_prefix_is_refused_by_its_text():
    with pytest.raises(InvalidActor) as refused:
        Actor.parse("person:li")
    assert refused.value.params["value"] == "person:li"


def test_a_person_must_be_named():
    with pytest.raises(InvalidActor):
        Actor.user("")
    with pytest.raises(InvalidActor):
        Actor.cli("")


def test_a_name_that_would_not_fit_the_audit_column_is_refused():
    assert len(Actor.user("x" * (STORED_LENGTH - len("user:"))).stored) == STORED_LENGTH
    with pytest.raises(InvalidActor):
        Actor.user("x" * (STORED_LENGTH - len("user:") + 1))


@pytest.mark.parametrize("name", [" li", "li ", "li\n", "a\tb"])
def test_a_name_with_spaces_around_or_control_characters_is_refused(name):
    with pytest.raises(InvalidActor):
        Actor.user(name)
