"""The team (CLI and page), sign-in lockout, production settings, and platform actions that only queue work."""

import os
import subprocess
import sys

from click.testing import CliRunner
from django.contrib.auth import get_user_model
from django_tasks_db.models import DBTaskResult

from kuaifa.persistence.models import AccessEvent, Membership, OutboxEntry, SyncLog


def test_cli_user_add_reads_the_password_from_stdin_and_scopes_the_shop(db, shop):
    from kuaifa.cli.main import cli

    result = CliRunner().invoke(cli, ["user", "add", "xiaowang", "--role", "service", "--shop", shop.name,
                                      "--password-stdin", "--json"], input="Secret-pass-2026\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    member = Membership.objects.get(user__username="xiaowang")
    assert (member.role, [s.name for s in member.shops.all()]) == ("service", [shop.name])
    assert member.user.check_password("Secret-pass-2026")
    assert "password" not in result.output
    again = CliRunner().invoke(cli, ["user", "add", "xiaowang", "--role", "owner", "--password-stdin"],
                               input="Secret-pass-2026\n")  # fmt: skip
    assert again.exit_code == 1
    assert Membership.objects.get(user__username="xiaowang").role == "service"


def test_cli_user_add_refuses_an_unknown_shop_and_creates_nobody(db, shop):
    from kuaifa.cli.main import cli

    result = CliRunner().invoke(cli, ["user", "add", "ghost", "--role", "finance", "--shop", "没有这个店"])
    assert result.exit_code == 1
    assert not get_user_model().objects.filter(username="ghost").exists()


def test_the_owner_adds_a_person_on_the_page_and_they_can_sign_in(signed_in, client):
    owner = signed_in("owner")
    owner.post("/people/", {"username": "cangku2", "role": "warehouse", "password": "Warehouse-2026"})
    assert AccessEvent.objects.get(kind="member_added", details__username="cangku2").actor == "user:owner"
    owner.logout()
    response = client.post("/login/", {"username": "cangku2", "password": "Warehouse-2026"})
    assert response.status_code == 302
    assert client.get("/").url == "/floor/waves/"  # 仓库 starts at 波次拣货


def test_a_weak_password_is_refused_with_its_reason(signed_in):
    response = signed_in("owner").post("/people/", {"username": "weak", "role": "service", "password": "123"})
    assert "invalid_input" in response.content.decode()
    assert not get_user_model().objects.filter(username="weak").exists()


def test_five_failed_sign_ins_lock_the_account_even_with_the_right_password(client, team):
    for _ in range(5):
        client.post("/login/", {"username": "service", "password": "wrong"}, REMOTE_ADDR="10.0.0.7")
    locked = client.post("/login/", {"username": "service", "password": team["service"]}, REMOTE_ADDR="10.0.0.8")
    assert locked.status_code == 429
    other = client.post("/login/", {"username": "owner", "password": team["owner"]}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_sync_now_queues_a_task_and_syncs_nothing_in_the_request(signed_in, shop):
    before = DBTaskResult.objects.count()
    signed_in("owner").post("/health/sync/", {"shop": shop.id})
    queued = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert DBTaskResult.objects.count() == before + 1
    assert queued.task_path == "kuaifa.tasks.jobs.sync_shop" and queued.args_kwargs["args"] == [shop.id]
    assert not SyncLog.objects.exists()


def test_finance_sees_health_but_cannot_retry(signed_in):
    client = signed_in("finance")
    assert client.get("/health/").status_code == 200
    assert client.post("/health/retry/").status_code == 403
    assert not OutboxEntry.objects.exists()


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kuaifa.config.production", "KUAIFA_HOME": str(tmp_path),
           "KUAIFA_SECRET_KEY": "k" * 20 + "Zq9#xV2!mW8@rT5$yU1&pL4*nB7^cD3(eF6)" * 2,
           "KUAIFA_ALLOWED_HOSTS": "shop.example.com"}  # fmt: skip
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # a test-only setting that the deploy check rightly refuses
    done = subprocess.run([sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_production_settings_refuse_the_embedded_secret(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kuaifa.config.production", "KUAIFA_HOME": str(tmp_path)}
    env.pop("KUAIFA_SECRET_KEY", None)
    done = subprocess.run([sys.executable, "-m", "django", "check"], env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode != 0
    assert "KUAIFA_SECRET_KEY" in done.stderr
