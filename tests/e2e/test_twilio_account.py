"""Testar for SMS reads the Twilio account and its numbers (the fake Twilio on
loopback, held to Twilio's spec): who the account is, whether it can send, the
numbers it can send SMS from, and each wrong value said in words — with nothing
saved, and the check recorded for the overview."""

from __future__ import annotations

import socket

import pytest
import requests

from app.services import channel_checks, config, secrets
from app.services.channels import twilio_account
from app.services.channels.twilio_account import AccountCheckFailed
from app.services.errors import InvalidInput
from app.services.practice import Practice
from tests.fakes import spec
from tests.fakes.twilio import Account, FakeTwilio, Phone, error


def numbers(*phones: Phone) -> Account:
    return Account(numbers=list(phones))


def refused(p: Practice, fake: FakeTwilio, *, sid: str | None = None,
            token: str | None = None, base: str | None = None) -> AccountCheckFailed:
    with pytest.raises(AccountCheckFailed) as caught:
        twilio_account.check(p, base or fake.url, fake.account.sid if sid is None else sid,
                             fake.account.token if token is None else token)
    return caught.value


def test_the_account_and_its_sms_numbers_are_read_and_nothing_is_saved(
        practice: Practice) -> None:
    with FakeTwilio(numbers(Phone("+15005550006", "(500) 555-0006"),
                            Phone("+5511940000001", "Recepção"),
                            Phone("+5511940000002", "Só voz", sms=False))) as tw:
        account = twilio_account.check(practice, tw.url, tw.account.sid, tw.account.token)
    assert (account.friendly_name, account.status, account.trial) == ("Clínica Aurora",
                                                                       "active", False)
    assert [(n.phone_number, n.friendly_name) for n in account.senders] == [
        ("+15005550006", "(500) 555-0006"), ("+5511940000001", "Recepção")]
    # Calls may come from any number that can make them (voice.from).
    assert [n.phone_number for n in account.callers] == [
        "+15005550006", "+5511940000001", "+5511940000002"]
    said = twilio_account.describe(account)
    assert said == "Twilio account 'Clínica Aurora' (active): 2 numbers can send SMS."
    assert tw.reads == ["account", "numbers page 0"]
    check = channel_checks.latest(practice)["sms"]
    assert check.ok and check.said == said
    # Testar saves nothing: Salvar does, with the number the practice picks.
    assert config.get(practice, "sms.account_sid") == ""
    assert secrets.load("sms.auth_token") is None
    # Twilio's account answer holds the auth token itself: it goes nowhere.
    assert tw.account.token not in repr(account) and tw.account.token not in check.said


def test_a_trial_account_is_said_to_send_only_to_verified_numbers(practice: Practice) -> None:
    trial = Account(type="Trial", friendly_name="My first Twilio account")
    with FakeTwilio(trial) as tw:
        account = twilio_account.check(practice, tw.url, tw.account.sid, tw.account.token)
    assert account.trial
    assert twilio_account.describe(account) == (
        "Twilio account 'My first Twilio account' (active): 1 number can send SMS. It is a "
        "trial account: it sends SMS only to numbers verified in the Twilio Console "
        "(Verified Caller IDs), each with a trial notice; upgrade the account to reach "
        "every client.")


def test_numbers_are_read_across_pages_and_only_sms_ones_are_offered(
        practice: Practice) -> None:
    account = numbers(Phone("+15005550006"), Phone("+15005550001", "Voz", sms=False),
                      Phone("+5511940000001", "Recepção"), Phone("+5511940000002", "Fax",
                                                                 sms=False),
                      Phone("+5511940000003", "Consultório"))
    with FakeTwilio(account) as tw:
        tw.page_size = 2
        found = twilio_account.check(practice, tw.url, tw.account.sid, tw.account.token)
    assert tw.reads == ["account", "numbers page 0", "numbers page 1", "numbers page 2"]
    assert len(found.numbers) == 5
    assert [n.phone_number for n in found.senders] == ["+15005550006", "+5511940000001",
                                                       "+5511940000003"]


def test_the_token_in_the_keyring_is_used_when_none_is_typed(practice: Practice) -> None:
    with FakeTwilio() as tw:
        secrets.store("sms.auth_token", tw.account.token)
        found = twilio_account.check(practice, tw.url, tw.account.sid, "")
    assert found.senders[0].phone_number == "+15005550006"


def test_a_wrong_token_is_said_and_recorded(practice: Practice) -> None:
    with FakeTwilio() as tw:
        wrong = refused(practice, tw, token="0" * 32)
    assert str(wrong) == ("Twilio refused the Account SID or the auth token: copy both again "
                          "from Account Info in the Twilio Console. If they are right, the "
                          "account may be suspended or closed.")
    assert wrong.field == "sms.auth_token" and "0" * 32 not in str(wrong)
    check = channel_checks.latest(practice)["sms"]
    assert not check.ok and check.said == str(wrong)
    assert secrets.load("sms.auth_token") is None


def test_an_unknown_account_is_said(practice: Practice) -> None:
    with FakeTwilio() as tw:
        tw.refuse_first.append(error(404, 20404, "The requested resource "
                                     f"/2010-04-01/Accounts/{tw.account.sid}.json was not found"))
        gone = refused(practice, tw)
        # An API address with a path of its own reaches no account either.
        elsewhere = refused(practice, tw, base=tw.url + "/v1")
    expected = (f"Twilio has no account {tw.account.sid}: copy the Account SID again from the "
                "Twilio Console, and check the API address under Advanced.")
    assert str(gone) == str(elsewhere) == expected and gone.field == "sms.account_sid"


@pytest.mark.parametrize("sid, says", [
    ("", "Type the Account SID: the Twilio Console shows it on its home page, under "
         "Account Info."),
    ("AC123", "'AC123' is not an Account SID: an Account SID starts with AC and has 34 "
              "characters (letters a to f and digits after AC). Copy it again from the "
              "Twilio Console."),
    ("AC" + "z" * 32, "is not an Account SID"),
    ("PN" + "a" * 32, "is not an Account SID"),
    ("SK" + "a" * 32, "is an API key's SID (it starts with SK): type the Account SID, "
                      "which starts with AC."),
])
def test_a_sid_that_is_not_an_account_sid_is_said_before_calling(
        practice: Practice, sid: str, says: str) -> None:
    with FakeTwilio() as tw:
        wrong = refused(practice, tw, sid=sid)
        assert tw.requests == 0
    assert says in str(wrong) and wrong.field == "sms.account_sid"
    if sid:  # Salvar refuses it too, and changes nothing
        with pytest.raises(InvalidInput, match="Account SID"):
            config.set_values(practice, {"sms.account_sid": sid, "sms.from": "+15005550006"})
        assert config.get(practice, "sms.from") == ""


def test_an_empty_token_is_said_before_calling(practice: Practice) -> None:
    with FakeTwilio() as tw:
        wrong = refused(practice, tw, token=" ")
        assert tw.requests == 0
    assert str(wrong).startswith("Type the auth token") and wrong.field == "sms.auth_token"


@pytest.mark.parametrize("status, says", [
    ("suspended", "The Twilio account 'Clínica Aurora' is suspended, so it cannot send SMS: "
                  "the Twilio Console says why and how to reactivate it."),
    ("closed", "The Twilio account 'Clínica Aurora' is closed, so it cannot send SMS: use "
               "the Account SID and auth token of an open account."),
])
def test_an_account_that_cannot_send_is_said(practice: Practice, status: str,
                                             says: str) -> None:
    with FakeTwilio(Account(status=status)) as tw:
        assert str(refused(practice, tw)) == says
        assert tw.reads == ["account"]  # its numbers are not read


def test_an_account_without_an_sms_number_is_said(practice: Practice) -> None:
    with FakeTwilio(numbers()) as tw:
        none = refused(practice, tw)
    assert str(none) == ("The Twilio account 'Clínica Aurora' has no phone number: buy one "
                         "that can send SMS in the Twilio Console (Phone Numbers › Buy a "
                         "number), then test again.")
    with FakeTwilio(numbers(Phone("+15005550001", sms=False),
                            Phone("+15005550002", sms=False))) as tw:
        voice_only = refused(practice, tw)
    assert str(voice_only).startswith("The Twilio account 'Clínica Aurora' has 2 phone "
                                      "numbers, but none can send SMS")
    assert voice_only.field == "sms.from"


def test_twilio_out_of_reach_is_said(practice: Practice) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    with FakeTwilio() as tw:
        lost = refused(practice, tw, base=f"http://127.0.0.1:{port}")
        plain = refused(practice, tw, base="http://api.twilio.com")
        assert tw.requests == 0
    assert str(lost) == ("Twilio could not be reached (ConnectionError): check this "
                         "computer's internet connection, and the API address under "
                         "Advanced.")
    assert "unencrypted" in str(plain) and plain.field == "sms.api_base"


def test_a_temporary_failure_is_said(practice: Practice) -> None:
    with FakeTwilio() as tw:
        tw.refuse_first.append(error(503, 20503, "Service Unavailable"))
        assert str(refused(practice, tw)) == ("Twilio had a temporary problem (503): test "
                                              "again in a few minutes.")


@pytest.mark.skipif(spec.folder() is None, reason="Twilio's OpenAPI spec is not at hand")
def test_the_fakes_answers_follow_twilios_spec() -> None:
    account = numbers(Phone("+15005550006"), Phone("+15005550001", sms=False),
                      Phone("+5511940000001", "Recepção"))
    with FakeTwilio(account) as tw:
        tw.page_size = 2
        auth = (account.sid, account.token)
        answer = requests.get(f"{tw.url}/2010-04-01/Accounts/{account.sid}.json", auth=auth,
                              timeout=5).json()
        assert spec.twilio_answer_errors(FakeTwilio.ACCOUNT, answer) == []
        url: str | None = f"{tw.url}/2010-04-01/Accounts/{account.sid}/IncomingPhoneNumbers.json"
        pages = 0
        while url:
            page = requests.get(url, auth=auth, timeout=5).json()
            assert spec.twilio_answer_errors(FakeTwilio.NUMBERS, page) == []
            url = tw.url + page["next_page_uri"] if page["next_page_uri"] else None
            pages += 1
        assert pages == 2
        # A query the operation does not take is a request Twilio's spec refuses.
        requests.get(f"{tw.url}/2010-04-01/Accounts/{account.sid}/IncomingPhoneNumbers.json"
                     "?Size=5", auth=auth, timeout=5)
        assert tw.violations == ["Size: not a query parameter of "
                                 "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json"]
        tw.violations.clear()
