import cf from 'cloudfront';

// Viewer request of the /renditions/* behaviour: a grant older than the pet's access floor is
// refused (cdn/revocation.py has the rule; cdn/edge.py applies it to the local edge).
//
// The KeyValueStore associated with this function maps a pet's id (lower case, with hyphens)
// to its floor in epoch seconds (a decimal string). A pet without an entry was never revoked:
// the request passes unchanged. Otherwise the grant's policy must carry a DateGreaterThan of
// at least the floor: CloudFront itself checks the signature, the expiry and the resource;
// this function only reads the policy, taking it where CloudFront takes it (the query string
// when it carries any signing parameter, else the CloudFront-* cookies). Anything it cannot
// read (no policy, bad base64 or JSON, a signing parameter given twice or percent-encoded, an
// unreadable floor) is refused when the pet has a floor: this function only ever fails closed.
//
// Runtime cloudfront-js-2.0. Relied on, as documented for it: `import cf from 'cloudfront'`
// and `cf.kvs()` without an id (one store is associated), whose `exists(key)` resolves to a
// boolean and `get(key)` to a string (rejecting a missing key); async/await, const and let.
// Otherwise only ES5.1: String.prototype.split/indexOf/charAt/substring/toLowerCase/replace,
// RegExp.test, JSON.parse, decodeURIComponent, String.fromCharCode, isFinite, Math.floor,
// Number. No Buffer, atob, Array.from, for...of or Number.isInteger: base64 is decoded by
// hand. The import comes first, as the documentation asks; the code stays under the 10 KB a
// function may hold (a test checks).

const kvs = cf.kvs();
const SIGNING_PARAMETERS = ['Expires', 'Policy', 'Signature', 'Key-Pair-Id', 'Hash-Algorithm'];
const COOKIE_PREFIX = 'CloudFront-';
const PET_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FLOOR = /^[0-9]{1,15}$/;
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const UNREADABLE = 'unreadable';

function denied() {
    return {
        statusCode: 403,
        statusDescription: 'Forbidden',
        headers: { 'cache-control': { value: 'no-store' } },
    };
}

function decoded(text) {
    if (text.indexOf('%') < 0) {
        return text;
    }
    try {
        return decodeURIComponent(text);
    } catch (e) {
        return null;
    }
}

// CloudFront's URL-safe base64 ('-' for '+', '_' for '=', '~' for '/') to a string of bytes.
function base64Bytes(text) {
    const standard = text.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/');
    if (standard.length === 0 || standard.length % 4 !== 0) {
        return null;
    }
    let padding = 0;
    if (standard.charAt(standard.length - 1) === '=') {
        padding = standard.charAt(standard.length - 2) === '=' ? 2 : 1;
    }
    let bytes = '';
    for (let i = 0; i < standard.length; i += 4) {
        let group = 0;
        for (let j = 0; j < 4; j++) {
            const char = standard.charAt(i + j);
            let value = BASE64.indexOf(char);
            if (char === '=' && i + 4 === standard.length && j >= 4 - padding) {
                value = 0;
            }
            if (value < 0) {
                return null;
            }
            group = group * 64 + value;
        }
        bytes += String.fromCharCode(Math.floor(group / 65536) % 256);
        bytes += String.fromCharCode(Math.floor(group / 256) % 256);
        bytes += String.fromCharCode(group % 256);
    }
    return bytes.substring(0, bytes.length - padding);
}

// The signing parameters CloudFront verifies: those of the query string when it carries any,
// else those of the cookies; UNREADABLE when one is given twice or its name percent-encoded.
function signingParameters(request) {
    const sources = [
        { fields: request.querystring || {}, prefix: '' },
        { fields: request.cookies || {}, prefix: COOKIE_PREFIX },
    ];
    for (let s = 0; s < sources.length; s++) {
        const fields = sources[s].fields;
        const prefix = sources[s].prefix;
        const found = {};
        let any = false;
        for (var name in fields) {
            const plain = decoded(name);
            if (plain === null || plain.indexOf(prefix) !== 0) {
                continue;
            }
            const parameter = plain.substring(prefix.length);
            if (SIGNING_PARAMETERS.indexOf(parameter) < 0) {
                continue;
            }
            const field = fields[name];
            if (plain !== name || (field.multiValue && field.multiValue.length > 1)) {
                return UNREADABLE;
            }
            found[parameter] = decoded(field.value);
            any = true;
        }
        if (any) {
            return found;
        }
    }
    return {};
}

// The grant's DateGreaterThan: 0 when the policy has none, null when it cannot be read.
function dateGreaterThan(request) {
    const parameters = signingParameters(request);
    if (parameters === UNREADABLE || !parameters.Policy) {
        return null;
    }
    const text = base64Bytes(parameters.Policy);
    if (text === null) {
        return null;
    }
    let statement;
    try {
        const policy = JSON.parse(text);
        if (!policy.Statement || policy.Statement.length !== 1) {
            return null;
        }
        statement = policy.Statement[0];
    } catch (e) {
        return null;
    }
    const condition = statement && statement.Condition;
    if (!condition || typeof condition !== 'object') {
        return null;
    }
    if (condition.DateGreaterThan === undefined) {
        return 0;
    }
    const moment = condition.DateGreaterThan && condition.DateGreaterThan['AWS:EpochTime'];
    if (typeof moment !== 'number' || !isFinite(moment) || Math.floor(moment) !== moment) {
        return null;
    }
    return moment;
}

// The pet's floor; null when it has none; NaN when it cannot be read (refuse).
async function floorOf(pet) {
    try {
        if (!(await kvs.exists(pet))) {
            return null;
        }
        const value = await kvs.get(pet, { format: 'string' });
        return FLOOR.test(value) ? Number(value) : NaN;
    } catch (e) {
        return NaN;
    }
}

async function handler(event) {
    const request = event.request;
    // The path as S3 reads the key: decoded, so that no escape hides the pet's id.
    const path = decoded(request.uri);
    if (path === null) {
        return denied();
    }
    const segments = path.split('/');
    if (segments[1] !== 'renditions' || segments.length < 3) {
        return request;
    }
    const pet = segments[2].toLowerCase();
    if (!PET_ID.test(pet)) {
        return request; // not a pet's id: no floor can exist, CloudFront's checks decide
    }
    const floor = await floorOf(pet);
    if (floor === null) {
        return request;
    }
    const since = dateGreaterThan(request);
    if (since === null || !(since >= floor)) {
        return denied();
    }
    return request;
}
