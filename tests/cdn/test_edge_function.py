"""The CloudFront Functions, run under Node with a stand-in ``cloudfront`` module whose
KeyValueStore behaves as documented (``exists`` resolves to a boolean, ``get`` rejects a
missing key): the renditions' viewer request applies ``cdn.revocation.floor_admits``, the
photos' viewer response makes renditions private to the browser."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import pytest

from cdn.functions import (
    RENDITIONS_VIEWER_REQUEST,
    photos_viewer_response_code,
    renditions_viewer_request_code,
)
from cdn.revocation import floor_admits
from cdn.signing import custom_policy, url_b64encode
from cdn.stack import cloudfront_template
from tests.cdn.helpers import example_stack

pytestmark = pytest.mark.slow  # a Node subprocess

PET = "11111111-1111-4111-8111-111111111111"
OTHER_PET = "99999999-9999-4999-8999-999999999999"
URI = f"/renditions/{PET}/22222222-2222-4222-8222-222222222222/thumb-abc123.webp"
FLOOR = 1_900_000_000
EXPIRES = FLOOR + 1200

STUB = """\
// A stand-in for CloudFront Functions' 'cloudfront' module: one KeyValueStore, backed by
// globalThis.__kvs__ (null: every read fails, as an unavailable store would).
function store(key) {
  if (globalThis.__kvs__ === null) throw new Error('the store is unavailable');
  return globalThis.__kvs__;
}
export default {
  kvs() {
    return {
      async exists(key) { return Object.prototype.hasOwnProperty.call(store(key), key); },
      async get(key, options) {
        const values = store(key);
        if (!Object.prototype.hasOwnProperty.call(values, key)) throw new Error('Key not found');
        return values[key];
      },
    };
  },
};
"""

RUNNER = """\
// Loads each function file as CloudFront would (its exact text; `export` added so that this
// runner can call its handler), then answers every case: {function, store, event}.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

const { functions, cases } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const handlers = {}, ran = {};
for (const [name, path] of Object.entries(functions)) {
  const code = readFileSync(path, 'utf8');
  ran[name] = createHash('sha256').update(code).digest('hex');
  const module = new URL(`./${name}.mjs`, import.meta.url);
  writeFileSync(module, code + '\\nexport { handler };\\n');
  handlers[name] = (await import(module.href)).handler;
}
const results = [];
for (const { function: name, store, event } of cases) {
  globalThis.__kvs__ = store;
  results.push(await handlers[name](event));
}
console.log(JSON.stringify({ ran, results }));
"""


def policy(dgt: int | None = None, *, pet: str = PET, resource: str | None = None) -> str:
    resource = resource or f"http*://*/renditions/{pet}/*"
    return url_b64encode(custom_policy(resource, EXPIRES, date_greater_than=dgt).encode())


def signing(encoded_policy: str) -> dict[str, str]:
    return {"Policy": encoded_policy, "Signature": "c2ln", "Key-Pair-Id": "KTEST"}


def fields(values: dict[str, str]) -> dict:
    return {name: {"value": value} for name, value in values.items()}


def request_event(*, uri=URI, query=None, cookies=None) -> dict:
    return {
        "version": "1.0",
        "context": {"eventType": "viewer-request"},
        "viewer": {"ip": "203.0.113.5"},
        "request": {
            "method": "GET",
            "uri": uri,
            "querystring": query or {},
            "headers": {"host": {"value": "images.example.com"}},
            "cookies": cookies or {},
        },
    }


def cookie_fields(values: dict[str, str]) -> dict:
    return fields({f"CloudFront-{name}": value for name, value in values.items()})


def run(cases: list[dict], tmp_path) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node is needed to run the CloudFront Functions (apt-get install nodejs)")
    stub = tmp_path / "node_modules" / "cloudfront"
    stub.mkdir(parents=True)
    (stub / "package.json").write_text('{"name": "cloudfront", "type": "module"}')
    (stub / "index.js").write_text(STUB)
    (tmp_path / "runner.mjs").write_text(RUNNER)
    response_code = tmp_path / "photos_viewer_response.js"
    response_code.write_text(photos_viewer_response_code())
    functions = {"request": str(RENDITIONS_VIEWER_REQUEST), "response": str(response_code)}
    (tmp_path / "cases.json").write_text(json.dumps({"functions": functions, "cases": cases}))
    result = subprocess.run(
        [node, str(tmp_path / "runner.mjs"), str(tmp_path / "cases.json")],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# (name, store, event, passes): every case of the viewer request in one Node run.
def _request_cases() -> list[tuple[str, dict | None, dict, bool]]:
    floored = {PET: str(FLOOR)}
    cases = [
        ("no entry: passes untouched", {OTHER_PET: str(FLOOR)}, request_event(), True),
        ("no entry, no grant at all", {}, request_event(), True),
        (
            "no entry, an old grant",
            {},
            request_event(query=fields(signing(policy()))),
            True,
        ),
    ]
    for dgt in (None, FLOOR - 60, FLOOR - 1, FLOOR, FLOOR + 1):
        passes = floor_admits(dgt, FLOOR)
        cases.append(
            (
                f"query grant since {dgt}",
                floored,
                request_event(query=fields(signing(policy(dgt)))),
                passes,
            )
        )
        cases.append(
            (
                f"cookie grant since {dgt}",
                floored,
                request_event(cookies=cookie_fields(signing(policy(dgt)))),
                passes,
            )
        )
    # Base64 with 0, 1 and 2 padding characters: policies of three successive lengths.
    for extra in ("", "x", "xy"):
        resource = f"http*://*/renditions/{PET}/{extra}*"
        encoded = policy(FLOOR, resource=resource)
        cases.append(
            (
                f"padding {encoded[-2:]}",
                floored,
                request_event(query=fields(signing(encoded))),
                True,
            )
        )
    cases += [
        (
            "a signing parameter in the query: the cookies are not read",
            floored,
            request_event(
                query=fields({"Key-Pair-Id": "KTEST"}),
                cookies=cookie_fields(signing(policy(FLOOR))),
            ),
            False,
        ),
        (
            "a fresh query grant wins over an old cookie",
            floored,
            request_event(
                query=fields(signing(policy(FLOOR))),
                cookies=cookie_fields(signing(policy(FLOOR - 1))),
            ),
            True,
        ),
        (
            "an old query grant loses over a fresh cookie",
            floored,
            request_event(
                query=fields(signing(policy(FLOOR - 1))),
                cookies=cookie_fields(signing(policy(FLOOR))),
            ),
            False,
        ),
        (
            "other query parameters leave the cookies in charge",
            floored,
            request_event(
                query=fields({"v": "2", "policy": "x"}),
                cookies=cookie_fields(signing(policy(FLOOR))),
            ),
            True,
        ),
        (
            "a percent-encoded policy value",
            floored,
            request_event(query=fields(signing(policy(FLOOR).replace("~", "%7E")))),
            True,
        ),
    ]
    malformed = {
        "not base64": "%%%",
        "bad base64 length": policy(FLOOR)[:-1],
        "not JSON": url_b64encode(b"{not json"),
        "no Statement": url_b64encode(b'{"Condition":{}}'),
        "two statements": url_b64encode(
            json.dumps({"Statement": [{"Condition": {}}, {"Condition": {}}]}).encode()
        ),
        "a DateGreaterThan that is no integer": url_b64encode(
            json.dumps(
                {"Statement": [{"Condition": {"DateGreaterThan": {"AWS:EpochTime": "9e99"}}}]}
            ).encode()
        ),
        "no policy (a canned grant)": None,
    }
    for name, encoded in malformed.items():
        params = signing(encoded) if encoded else {"Expires": str(EXPIRES), "Signature": "c2ln"}
        if encoded is None:
            params["Key-Pair-Id"] = "KTEST"
        cases.append((f"{name}, with a floor", floored, request_event(query=fields(params)), False))
        cases.append((f"{name}, without", {}, request_event(query=fields(params)), True))
    twice = fields(signing(policy(FLOOR)))
    twice["Policy"]["multiValue"] = [{"value": policy(FLOOR)}, {"value": policy(FLOOR)}]
    encoded_name = fields(signing(policy(FLOOR)))
    encoded_name["%50olicy"] = encoded_name.pop("Policy")
    cases += [
        ("a policy given twice", floored, request_event(query=twice), False),
        ("a percent-encoded parameter name", floored, request_event(query=encoded_name), False),
        (
            "an unreadable floor",
            {PET: "soon"},
            request_event(query=fields(signing(policy(FLOOR)))),
            False,
        ),
        ("an unavailable store", None, request_event(query=fields(signing(policy(FLOOR)))), False),
        (
            "an upper-case pet id",
            floored,
            request_event(uri=URI.replace(PET, PET.upper()), query=fields(signing(policy()))),
            False,
        ),
        (
            "a percent-encoded pet id",
            floored,
            request_event(uri=URI.replace(PET, "%31" + PET[1:]), query=fields(signing(policy()))),
            False,
        ),
        (
            "a percent-encoded slash after the pet id",
            floored,
            request_event(
                uri=f"/renditions/{PET}%2Fphoto/thumb.webp", query=fields(signing(policy()))
            ),
            False,
        ),
        ("an undecodable path", floored, request_event(uri="/renditions/%E0%A4%A/x.webp"), False),
        (
            "an original is not this function's business",
            {"7": str(FLOOR), PET: str(FLOOR)},
            request_event(uri=f"/originals/7/2026/03/{PET}.jpg"),
            True,
        ),
        ("not a pet's id", floored, request_event(uri="/renditions/demo/x.webp"), True),
    ]
    return cases


REQUEST_CASES = _request_cases()


def response_event(cache_control: str, uri: str = URI) -> dict:
    return {
        "version": "1.0",
        "context": {"eventType": "viewer-response"},
        "viewer": {"ip": "203.0.113.5"},
        "request": {"method": "GET", "uri": uri, "querystring": {}, "headers": {}, "cookies": {}},
        "response": {
            "statusCode": 200,
            "statusDescription": "OK",
            "headers": {"cache-control": {"value": cache_control}},
            "cookies": {},
        },
    }


RESPONSE_CASES = [
    ("public, max-age=31536000, immutable", "private, max-age=31536000, immutable"),
    ("private, max-age=3600", "private, max-age=3600"),
]


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    cases = [
        {"function": "request", "store": store, "event": event}
        for _name, store, event, _passes in REQUEST_CASES
    ] + [
        {"function": "response", "store": {}, "event": response_event(stored)}
        for stored, _browser in RESPONSE_CASES
    ]
    return run(cases, tmp_path_factory.mktemp("node"))


@pytest.mark.parametrize(
    ("index", "passes"),
    [
        pytest.param(index, passes, id=name)
        for index, (name, _, _, passes) in enumerate(REQUEST_CASES)
    ],
)
def test_the_viewer_request_applies_the_access_floor(outcome, index, passes):
    result = outcome["results"][index]
    event = REQUEST_CASES[index][2]
    if passes:
        assert result == event["request"]  # passed on unchanged
    else:
        assert result["statusCode"] == 403
        assert result["headers"]["cache-control"] == {"value": "no-store"}


def test_the_photos_viewer_response_makes_renditions_private(outcome):
    results = outcome["results"][len(REQUEST_CASES) :]
    for (stored, browser), response in zip(RESPONSE_CASES, results, strict=True):
        assert response["headers"]["cache-control"] == {"value": browser}, stored
        assert response["headers"]["x-content-type-options"] == {"value": "nosniff"}


def test_node_ran_the_code_the_template_deploys(outcome):
    stack = example_stack()
    resources = cloudfront_template(stack)["Resources"]
    deployed = {
        "request": resources["RenditionsRequestFunction"]["Properties"]["FunctionCode"],
        "response": resources["PhotosResponseFunction"]["Properties"]["FunctionCode"],
    }
    assert deployed["request"] == renditions_viewer_request_code()
    for name, code in deployed.items():
        assert outcome["ran"][name] == hashlib.sha256(code.encode()).hexdigest()
