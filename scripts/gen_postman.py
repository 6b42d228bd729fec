#!/usr/bin/env python3
"""Writes docs/postman_collection.json (Postman collection v2.1) from docs/openapi.json: one
request per operation, grouped by tag, with the variables base_url, api_key, api_secret and
admin_token, and a collection pre-request script that signs POSTs the way the API wants
(X-Timestamp, X-Signature = hex HMAC-SHA256(secret, "{timestamp}\\n{body}")) when api_secret is
set. The daemon serves it at GET /api/docs/postman.json. Run after scripts/gen_openapi.py."""
import json
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
with open(os.path.join(ROOT, "docs", "openapi.json")) as f:
    DOC = json.load(f)

SIGN = """// Signs POSTs for keys with a secret (docs/api.md, "HMAC").
const secret = pm.collectionVariables.get('api_secret') || pm.environment.get('api_secret');
if (pm.request.method === 'POST' && secret && !pm.request.url.getPath().startsWith('/api/admin/')) {
  const ts = Math.floor(Date.now() / 1000).toString();
  const body = pm.request.body && pm.request.body.raw ? pm.request.body.raw : '';
  const sig = CryptoJS.HmacSHA256(ts + '\\n' + body, secret).toString(CryptoJS.enc.Hex);
  pm.request.headers.upsert({key: 'X-Timestamp', value: ts});
  pm.request.headers.upsert({key: 'X-Signature', value: sig});
}"""


def resolve(obj):
    while isinstance(obj, dict) and "$ref" in obj:
        node = DOC
        for part in obj["$ref"].lstrip("#/").split("/"):
            node = node[part]
        obj = node
    return obj


def example_body(operation):
    body = resolve(operation.get("requestBody", {}))
    media = body.get("content", {}).get("application/json", {})
    if "example" in media:
        return media["example"]
    schema = resolve(media.get("schema", {}))
    out = {}
    for name, prop in schema.get("properties", {}).items():
        prop = resolve(prop)
        if name not in schema.get("required", []):
            continue
        out[name] = prop.get("example", prop.get("default", 1 if prop.get("type") in
                                                 ("integer", "number") else "text"))
    return out


def item(path, method, operation):
    admin = path.startswith("/api/admin/")
    headers = [{"key": "X-Admin-Token", "value": "{{admin_token}}"} if admin
               else {"key": "X-API-Key", "value": "{{api_key}}"}]
    query = []
    url_path = path
    for p in operation.get("parameters", []):
        p = resolve(p)
        if p.get("in") == "query":
            query.append({"key": p["name"], "value": str(resolve(p.get("schema", {})).get("default", "")),
                          "disabled": True, "description": p.get("description", "")})
        if p.get("in") == "path":
            url_path = url_path.replace("{%s}" % p["name"], ":%s" % p["name"])
    request = {
        "method": method.upper(),
        "header": headers,
        "url": {"raw": "{{base_url}}" + url_path, "host": ["{{base_url}}"],
                "path": [s for s in url_path.split("/") if s], "query": query},
        "description": operation.get("description", operation.get("summary", "")),
    }
    variables = [{"key": s[1:], "value": "1"} for s in url_path.split("/") if s.startswith(":")]
    if variables:
        request["url"]["variable"] = variables
    if method == "post":
        request["header"].append({"key": "Content-Type", "value": "application/json"})
        request["body"] = {"mode": "raw", "raw": json.dumps(example_body(operation), indent=2),
                           "options": {"raw": {"language": "json"}}}
    return {"name": operation.get("summary", f"{method.upper()} {path}"), "request": request}


folders = {}
for path, path_item in DOC["paths"].items():
    for method, operation in path_item.items():
        if method not in ("get", "post", "put", "patch", "delete"):
            continue
        tag = (operation.get("tags") or ["Other"])[0]
        folders.setdefault(tag, []).append(item(path, method, operation))

collection = {
    "info": {"name": DOC["info"]["title"], "description": DOC["info"].get("description", ""),
             "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
    "item": [{"name": tag, "item": items} for tag, items in folders.items()],
    "event": [{"listen": "prerequest", "script": {"type": "text/javascript", "exec": SIGN.split("\n")}}],
    "variable": [{"key": "base_url", "value": "http://127.0.0.1:8080"},
                 {"key": "api_key", "value": ""}, {"key": "api_secret", "value": ""},
                 {"key": "admin_token", "value": ""}],
}
# INSTAMARKET_DOCS_OUT: write elsewhere (tests compare the output with the committed file).
OUT = os.environ.get("INSTAMARKET_DOCS_OUT") or os.path.join(ROOT, "docs")
with open(os.path.join(OUT, "postman_collection.json"), "w") as f:
    json.dump(collection, f, indent=2, ensure_ascii=False)
    f.write("\n")
