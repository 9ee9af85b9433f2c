#!/usr/bin/env python3
"""Writes the hand-made seeds of fuzz/corpus/<target>/seed-*: the hostile cases of issue 14
(escape sequences, U+FFFE/U+FFFF, a 200 KB name, malformed JSON, Intune's JSON-inside-a-string
error messages) for every target. Run from the repository root; files are overwritten."""
import copy, json, os, glob

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")

ESC_TITLE = "\x1b]0;pwned\x07"
ESC_CLEAR = "\x1b[2J\x1b[H"
HOSTILE = [
    "Kiosk " + ESC_TITLE + "device",
    "clear" + ESC_CLEAR + "screen",
    "nonchar \ufffe and \uffff",
    "C1 \x85 \x9b31m and DEL \x7f",
    "<fuzz onload=alert(1)>]]></testcase>&amp;",
    "| pipe | **bold** `code` [link](javascript:x)",
    "line\nbreak\r\ncarriage\rreturn\ttab\x00nul",
    "right-to-left \u202e override \u200b zero-width",
    "emoji \U0001F600 and combining e\u0301",
]
INTUNE_MESSAGE = (
    '{\r\n  "_version": 3,\r\n  "Message": "An error has occurred - Operation ID (for customer '
    'support): 00000000-0000-0000-0000-000000000000 - Activity ID: 1 - Url: '
    'https://fef.msua06.manage.microsoft.com/x",\r\n  "CustomApiErrorPhrase": "",\r\n'
    '  "RetryAfter": null,\r\n  "ErrorSourceService": "",\r\n  "HttpHeaders": "{}"\r\n}'
)
BIG = "A" * 200_000


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def snapshot_seeds():
    base = json.load(open(os.path.join(ROOT, "tests/fixtures/live-tenant.json")))
    text = json.dumps(base, ensure_ascii=False)
    write("snapshot", "live-tenant", text)
    write("snapshot", "truncated", text[: len(text) // 2])
    write("snapshot", "not-json", "{\"schema\": \"intune-audit/snapshot\", \"version\": 1,")
    write("snapshot", "empty-object", "{}")
    write("snapshot", "wrong-schema", json.dumps({**base, "schema": "other"}))
    write("snapshot", "bad-date", json.dumps({**base, "collected_at": "yesterday"}))
    for i, h in enumerate(HOSTILE):
        s = copy.deepcopy(base)
        s["tenant"]["name"] = h
        for item in s["resources"]["users"]["items"]:
            item["displayName"] = h
        for item in s["resources"]["managedDevices"]["items"]:
            item["deviceName"] = h
        write("snapshot", f"hostile-names-{i}", json.dumps(s, ensure_ascii=False))
    s = copy.deepcopy(base)
    s["resources"]["users"]["items"][0]["displayName"] = BIG
    write("snapshot", "200kb-name", json.dumps(s))
    s = copy.deepcopy(base)
    s["resources"]["deviceEnrollmentConfigurations"] = {
        "path": "/beta/deviceManagement/deviceEnrollmentConfigurations",
        "status": "error",
        "message": INTUNE_MESSAGE,
        "items": [],
    }
    s["resources"]["users"] = {"path": "/v1.0/users", "status": "forbidden",
                               "permission": "User.Read.All", "message": ESC_TITLE, "items": []}
    write("snapshot", "intune-error-json-in-string", json.dumps(s))
    s = copy.deepcopy(base)
    for r in s["resources"].values():
        for item in r.get("items", []):
            for k in list(item):
                if k != "id":
                    item[k] = None
    write("snapshot", "all-null-fields", json.dumps(s))
    s = copy.deepcopy(base)
    for r in s["resources"].values():
        r["items"] = [42, "x", [], {}] + r.get("items", [])[:1]
    write("snapshot", "wrong-item-types", json.dumps(s))


def config_seeds():
    write("config", "example", open(os.path.join(ROOT, "examples/intune-audit.toml")).read())
    write("config", "waivers", """
[checks]
only = ["windows-mdm-platform-blocked", "no-such-check"]
disabled = ["intune-seats-exhausted"]
preview = true
[checks.severity]
"windows-mdm-platform-blocked" = "low"
"enrollment-limit-reached" = "critical"
[thresholds]
device_limit_margin = 0
device_quota_margin = 99999999999
connector_stale_days = -1
[expectations]
mdm_scope_groups = ["all", "g1"]
naming_prefix = "\\u001b]0;x\\u0007"
[junit]
warn_as = "skipped"
[[waiver]]
check = "windows-mdm-platform-blocked"
objects = ["u1"]
reason = "\\u001b[2J clear \\uFFFE"
expires = 2026-01-01
[[waiver]]
check = "enrollment-limit-reached"
reason = "dated string"
expires = "2099-12-31"
[[waiver]]
check = "mam-user-scope-not-none"
reason = "renamed id"
expires = 2030-01-01T00:00:00Z
""")
    write("config", "malformed", "[checks\nonly = [\"a\",\n[[waiver]]\nexpires = 2026-13-45\n")
    write("config", "wrong-types", "[checks]\nonly = 5\ndisabled = \"x\"\n[thresholds]\ndevice_limit_margin = \"one\"\n[junit]\nwarn_as = \"maybe\"\n")
    write("config", "unknown-keys", "[check]\nonlly = []\n[thresholds]\nmargin = 1\n[[waiver]]\ncheck = \"x\"\n")
    write("config", "hostile-strings", "\n".join(
        f'[[waiver]]\ncheck = {json.dumps(h)}\nreason = {json.dumps(h)}\nexpires = 2027-01-01\n'
        for h in HOSTILE))
    write("config", "200kb-reason", f'[[waiver]]\ncheck = "x"\nreason = "{BIG}"\nexpires = 2027-01-01\n')


def explain_seeds():
    for i, q in enumerate([
        "0x801c0003", "801C003", "0x80180002b", "oobeidps", "-2145910781", "(0x80180014).",
        "windows-mdm-platform-blocked", "mam-user-scope-not-none", "MDM terms of use",
        "Something went wrong. Confirm you are using the correct sign-in information",
        "0x", "0xZZZZZZZZ", "80180014 80180018", "event 201", "", " ",
    ]):
        write("explain", f"query-{i}", q)
    for i, h in enumerate(HOSTILE):
        write("explain", f"hostile-{i}", h)
    write("explain", "long", "0x801c0003 " * 400)


def graph_seeds():
    docs = sorted(glob.glob(os.path.join(ROOT, "checks/tests/fixtures/graph-docs-examples/*.json")),
                  key=os.path.getsize)[:12]
    for p in docs:
        write("graph", "docs-" + os.path.basename(p)[:-5], open(p, "rb").read())
    write("graph", "page-next", json.dumps({"value": [{"id": "1"}],
           "@odata.nextLink": "https://graph.microsoft.com/v1.0/users?$skiptoken=x"}))
    write("graph", "page-not-array", '{"value": {"id": 1}}')
    write("graph", "page-next-number", '{"value": [], "@odata.nextLink": 5}')
    write("graph", "batch", json.dumps({"responses": [
        {"id": "1", "status": 200, "body": {"value": [{"id": "m"}]}},
        {"id": "2", "status": 429, "headers": {"Retry-After": "2.128"},
         "body": {"error": {"code": "TooManyRequests", "message": "slow down"}}},
        {"id": "3", "status": 503, "headers": {"retry-after": 7}, "body": {}},
        {"id": "4", "status": 424, "body": None},
        {"id": "5", "status": 401, "body": {"error": {"code": "InvalidAuthenticationToken",
                                                      "message": "Lifetime validation failed, the token is expired."}}},
        {"id": "6", "status": 400, "body": {"error": {"code": "BadRequest", "message": INTUNE_MESSAGE}}},
    ]}))
    write("graph", "batch-retry-after-date", json.dumps({"responses": [
        {"id": "1", "status": 429, "headers": {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}},
        {"id": "2", "status": 429, "headers": {"Retry-After": 1e308}},
        {"id": "3", "status": 429, "headers": {"Retry-After": "-1"}},
        {"id": "4", "status": 429, "headers": {"Retry-After": "NaN"}},
    ]}))
    write("graph", "batch-status-out-of-range", '{"responses":[{"id":"1","status":70000}]}')
    write("graph", "intune-error", json.dumps({"error": {"code": "InternalServerError",
                                                         "message": INTUNE_MESSAGE}}))
    write("graph", "intune-error-broken-inner", json.dumps({"error": {"code": "x",
                                                                      "message": '{\r\n "Message": '}}))
    write("graph", "error-cr", json.dumps({"error": {"code": "x", "message": "first\rsecond"}}))
    write("graph", "error-escapes", json.dumps({"error": {"code": ESC_TITLE, "message": ESC_CLEAR + "\ufffe"}}))
    write("graph", "html", "<html><body><h1>502 Bad Gateway</h1></body></html>\r\n")
    write("graph", "malformed", '{"value": [{"id": "1"}, ')
    write("graph", "deep", "[" * 200 + "]" * 200)


def render_seeds():
    US = "\x1f"
    write("render", "hostile", US.join(HOSTILE))
    write("render", "single", "plain name")
    write("render", "empty", "")
    write("render", "200kb-name", US.join(["device", BIG, "summary"]))
    write("render", "intune-message", US.join([INTUNE_MESSAGE, "0x801c0003", "https://x/y?a=1&b=<2>"]))
    write("render", "many-fields", US.join(f"field {i} " + HOSTILE[i % len(HOSTILE)] for i in range(40)))
    write("render", "xml-specials", US.join(["]]>", "<!--", "-->", "<?xml?>", "&#0;", "&#xFFFE;", "\"'", "\ud7ff\ue000"]))


if __name__ == "__main__":
    snapshot_seeds(); config_seeds(); explain_seeds(); graph_seeds(); render_seeds()
