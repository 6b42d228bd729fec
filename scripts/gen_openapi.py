#!/usr/bin/env python3
"""Writes docs/openapi.json, the OpenAPI 3.1 document of the v1 API (issue 6 serves it at
/api/v1/openapi.json). Edit the tables here, run `python3 scripts/gen_openapi.py`, commit both."""
import os

import json

REF = lambda kind, name: {"$ref": f"#/components/{kind}/{name}"}
S = lambda n: REF("schemas", n)
R = lambda n: REF("responses", n)
P = lambda n: REF("parameters", n)
H = lambda n: REF("headers", n)

UNIX = {"type": "integer", "format": "int64", "description": "Unix time in seconds."}
ID64 = {"type": "integer", "format": "int64", "minimum": 1}
MONEY = S("Money")
NULLABLE_STR = {"type": ["string", "null"]}
NULLABLE_UNIX = {"type": ["integer", "null"], "format": "int64", "description": "Unix time in seconds, or null."}

RATE_HEADERS = {
    "RateLimit-Limit": H("RateLimitLimit"),
    "RateLimit-Remaining": H("RateLimitRemaining"),
    "RateLimit-Reset": H("RateLimitReset"),
}

def ok(desc, schema, headers=True, status_extra=None):
    r = {"description": desc, "content": {"application/json": {"schema": schema}}}
    if headers:
        r["headers"] = dict(RATE_HEADERS)
    return r

def obj(props, required=None, closed=True, desc=None, **extra):
    o = {"type": "object"}
    if desc:
        o["description"] = desc
    o["properties"] = props
    o["required"] = list(props.keys()) if required is None else required
    if closed:
        o["additionalProperties"] = False
    o.update(extra)
    return o

def items_list(item_ref, desc, paged=False):
    props = {"items": {"type": "array", "items": S(item_ref)}}
    if paged:
        props["page"] = {"type": "integer", "format": "int64", "minimum": 1, "description": "The page asked for (echo)."}
        props["page_size"] = {"type": "integer", "format": "int64", "minimum": 1, "maximum": 200, "description": "The page size asked for (echo)."}
        props["total"] = {"type": "integer", "format": "int64", "minimum": 0, "description": "All matches, not only this page."}
    return obj(props, desc=desc)

# ---------------------------------------------------------------- schemas
order_status = {"type": "string", "enum": ["processing", "completed", "partial", "failed", "expired", "cancelled"]}

def order_props(with_items):
    p = {
        "order_id": dict(ID64, description="Order id."),
        "status": order_status,
        "price_usdt": dict(MONEY, description="Unit price × quantity, exactly; what was debited."),
        "quantity": {"type": "integer", "minimum": 1, "maximum": 10000},
        "product_id": dict(ID64),
        "refunded": {"type": "boolean", "description": "True once the refund due (failed, expired, cancelled, or the undelivered part of partial) has been paid back to the balance."},
    }
    if with_items:
        p["items"] = {"type": "array", "items": S("DeliveredItem"),
                      "description": "Written only when status is completed or partial: the delivered accounts, as imported, in delivery order."}
    p["delivered"] = {"type": "integer", "minimum": 0, "maximum": 10000,
                      "description": "Written only when status is partial: how many items were delivered."}
    p["error_message"] = {"type": ["string", "null"], "description": "Why the order did not (fully) complete; null otherwise."}
    p["created_at"] = UNIX
    p["updated_at"] = UNIX
    return p

ORDER_REQUIRED = ["order_id", "status", "price_usdt", "quantity", "product_id", "refunded", "error_message", "created_at", "updated_at"]
partial_rule = {"if": {"properties": {"status": {"const": "partial"}}, "required": ["status"]},
                "then": {"required": ["delivered"]}, "else": {"not": {"required": ["delivered"]}}}

order = obj(order_props(False), required=ORDER_REQUIRED,
            desc="An order as written by POST /api/v1/orders, GET /api/v1/orders and the admin cancel route (never with `items`).",
            **partial_rule)
order_with_items = obj(order_props(True), required=ORDER_REQUIRED,
                       desc="An order as written by GET /api/v1/orders/{id}: `items` is present exactly when status is completed or partial.",
                       allOf=[
                           partial_rule,
                           {"if": {"properties": {"status": {"enum": ["completed", "partial"]}}, "required": ["status"]},
                            "then": {"required": ["items"]}, "else": {"not": {"required": ["items"]}}},
                       ])

problem = {
    "type": "object",
    "description": "RFC 9457 problem details, served as application/problem+json. Some errors add extension members (listed in the more specific problem schemas).",
    "properties": {
        "type": {"type": "string", "format": "uri",
                 "description": "https://instamarket.pro/problems/{slug}; the slug follows the status.",
                 "enum": [f"https://instamarket.pro/problems/{s}" for s in [
                     "bad-request", "unauthorized", "payment-required", "forbidden", "not-found",
                     "method-not-allowed", "conflict", "gone", "payload-too-large", "invalid-request", "rate-limited",
                     "headers-too-large", "not-implemented", "service-unavailable", "internal-error"]]},
        "title": {"type": "string", "enum": ["Bad request", "Unauthorized", "Payment required", "Forbidden",
                  "Not found", "Method not allowed", "Conflict", "Gone", "Payload too large", "Invalid request",
                  "Too many requests", "Request header fields too large", "Not implemented",
                  "Service unavailable", "Internal error"]},
        "status": {"type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status, repeated."},
        "detail": {"type": "string", "description": "Human-readable explanation for this occurrence."},
    },
    "required": ["type", "title", "status", "detail"],
    "examples": [{"type": "https://instamarket.pro/problems/not-found", "title": "Not found", "status": 404,
                  "detail": "no product 12345"}],
}

schemas = {
    "Money": {"type": "number",
              "description": "A USDT amount: a JSON number written exactly from integer micro-USDT (at most 6 decimals, always with a decimal point, e.g. 50.0, 12.34, 0.000001).",
              "examples": [12.34]},
    "Problem": problem,
    "FieldError": obj({"field": {"type": "string", "description": "The offending field, query parameter or header (`body`, `query` for the whole body or query string)."},
                       "message": {"type": "string"}}),
    "ValidationProblem": {"allOf": [S("Problem"), {
        "type": "object",
        "properties": {"status": {"const": 422}, "errors": {"type": "array", "minItems": 1, "items": S("FieldError"),
                       "description": "Every problem found, not only the first; `detail` repeats the first."}},
        "required": ["errors"]}],
        "examples": [{"type": "https://instamarket.pro/problems/invalid-request", "title": "Invalid request", "status": 422,
                      "detail": "page_size: must be an integer from 1 to 200",
                      "errors": [{"field": "page_size", "message": "must be an integer from 1 to 200"}]}]},
    "RateLimitedProblem": {"allOf": [S("Problem"), {
        "type": "object",
        "properties": {"status": {"const": 429}, "retry_after": {"type": "integer", "minimum": 1, "description": "Seconds until a request is admitted again (same as Retry-After)."}},
        "required": ["retry_after"]}]},
    "BelowMinimumProblem": {"allOf": [S("Problem"), {"type": "object", "properties": {"status": {"const": 400}}}],
        "anyOf": [
            {"type": "object", "description": "Below the product's minimum batch.",
             "properties": {"min_quantity": {"type": "integer", "minimum": 1}, "requested_quantity": {"type": "integer", "minimum": 1},
                            "required_quantity": {"type": "integer", "minimum": 1}},
             "required": ["min_quantity", "requested_quantity", "required_quantity"]},
            {"type": "object", "description": "Below orders.min_order_usdt.",
             "properties": {"min_order_usdt": MONEY, "price_usdt": MONEY},
             "required": ["min_order_usdt", "price_usdt"]},
        ]},
    "InsufficientBalanceProblem": {"allOf": [S("Problem"), {
        "type": "object",
        "properties": {
            "status": {"const": 402},
            "balance_usdt": MONEY, "price_usdt": MONEY,
            "missing_usdt": dict(MONEY, description="price_usdt − balance_usdt."),
            "topup": obj({
                "method": {"const": "POST"},
                "path": {"const": "/api/v1/balance/topup"},
                "body": obj({"amount_usdt": dict(MONEY, description="missing_usdt rounded up to whole cents, at least 1."),
                             "network": {"const": "<network id>", "description": "A placeholder for the client to fill in."}}),
            }, desc="A ready top-up request covering the missing amount."),
        },
        "required": ["balance_usdt", "price_usdt", "missing_usdt", "topup"]}]},
    "InsufficientStockProblem": {"allOf": [S("Problem"), {
        "type": "object",
        "properties": {"status": {"const": 409}, "stock": {"type": "integer", "format": "int64", "minimum": 0},
                       "requested_quantity": {"type": "integer", "minimum": 1}},
        "required": ["stock", "requested_quantity"]}]},
    "Health": obj({"status": {"const": "ok"}, "timestamp": UNIX}),
    "Liveness": obj({"status": {"const": "alive"}}),
    "Readiness": obj({"status": {"type": "string", "enum": ["ready", "not_ready"]},
                      "reason": {"type": "string", "enum": ["shutting down", "database unreachable"],
                                 "description": "Only with not_ready."},
                      "chain_alerts": {"type": "array", "description": "Only when a watcher raised one since the daemon started (the instance stays ready: it still serves). deep_reorg: a chain replaced blocks already taken as final; its deposits from vanished blocks are flagged (admin deposits list --status reorged).",
                                       "items": obj({"network": {"type": "string"}, "alert": {"type": "string", "enum": ["deep_reorg"]},
                                                     "at": UNIX, "count": {"type": "integer", "description": "Deep reorgs seen on the network since start."},
                                                     "replaced_height": {"type": "integer", "format": "int64"}, "kept_hash": {"type": "string"}, "node_hash": {"type": "string"},
                                                     "ancestor_height": {"type": "integer", "format": "int64"}, "ancestor_found": {"type": "boolean"},
                                                     "vanished_deposits": {"type": "integer", "description": "Recorded deposits flagged vanished since start."}},
                                                    required=["network", "alert", "at", "count", "replaced_height", "kept_hash", "node_hash", "ancestor_height", "ancestor_found", "vanished_deposits"])}},
                     required=["status"]),
    "Product": obj({
        "id": ID64, "sku": {"type": "string"}, "name": {"type": "string"}, "category": {"type": "string"},
        "price_usdt": dict(MONEY, description="Unit price."),
        "min_quantity": {"type": "integer", "minimum": 1, "description": "Smallest batch an order may ask for."},
        "stock": {"type": "integer", "format": "int64", "minimum": 0, "description": "Unsold items."},
    }),
    "ProductList": items_list("Product", "A page of products, by id.", paged=True),
    "Category": obj({
        "name": {"type": "string"},
        "product_count": {"type": "integer", "format": "int64", "minimum": 0, "description": "Products of the category with at least one item in stock."},
        "min_price_usdt": {"type": ["number", "null"], "description": "Lowest unit price among those products (a Money number); null when none is in stock."},
    }),
    "CategoryList": items_list("Category", "All categories."),
    "Balance": obj({
        "balance_usdt": MONEY, "total_spent_usdt": dict(MONEY, description="All debits; refunds are not subtracted."),
        "total_topup_usdt": dict(MONEY, description="Automatic and manual credits."),
        "total_refunded_usdt": MONEY, "currency": {"const": "USDT"},
    }),
    "Usage": obj({
        "request_count": {"type": "integer", "format": "int64", "minimum": 0, "description": "Admitted requests, this one included."},
        "last_used_at": NULLABLE_UNIX, "first_used_at": NULLABLE_UNIX,
        "last_endpoint": {"type": ["string", "null"], "description": "Route pattern of the latest request, e.g. /api/v1/products/{id}, or `(no such endpoint)`."},
        "total_spent_usdt": MONEY,
    }),
    "TopupRequest": {
        "type": "object",
        "description": "Other members are ignored.",
        "properties": {
            "amount_usdt": {"description": "1 to 100000 USDT with at most 2 decimal places. A JSON number; a decimal string (\"100.50\") is accepted too.",
                            "anyOf": [{"type": "number", "minimum": 1, "maximum": 100000},
                                      {"type": "string", "pattern": "^\\+?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?$"}],
                            "examples": [100]},
            "network": {"type": "string", "description": "An enabled network id of this server's configuration (e.g. usdt_trc_20, usdt_bep_20, usdt_polygon, usdt_arbitrum, usdt_ton, usdt_solana); an unknown or disabled one is a 422 whose detail lists the enabled ones.",
                        "examples": ["usdt_trc_20"]},
            "webhook_url": {"type": ["string", "null"], "format": "uri", "maxLength": 2048,
                            "description": "Where the signed topup.* events of this intent are posted (the topupProgress webhook); the rules of an order's webhook_url apply. Null is the same as absent."},
        },
        "required": ["amount_usdt", "network"],
    },
    "TopupCreated": obj({
        "topup_id": {"type": "string", "format": "uuid"},
        "payment_address": {"type": "string", "description": "The master wallet of the network."},
        "payment_network": {"type": "string"},
        "amount_usdt": dict(MONEY, description="The exact amount to send: a random free amount above the requested one in 0.01 steps (at most topups.max_surcharge_usdt more, never a whole number of USDT), held for this intent alone on the wallet."),
        "requested_amount_usdt": MONEY,
        "payment_memo": {"type": ["string", "null"], "pattern": "^IM[0-9A-Z]{12}$",
                         "description": "TON and Solana: the comment (TON text comment, Solana SPL memo) to send with the transfer; a final transfer carrying it credits this intent whatever its amount. Null on chains without comments."},
        "expires_at": UNIX,
    }),
    "TopupDeposit": obj({
        "network": {"type": "string"}, "tx_id": {"type": "string"},
        "amount_usdt": dict(MONEY, description="What arrived, which is what was credited."),
        "credited_at": NULLABLE_UNIX,
    }),
    "TopupConfirming": obj({
        "tx_id": {"type": "string"},
        "block_number": {"type": "integer", "format": "int64", "description": "The block that holds the transfer."},
        "amount_usdt": dict(MONEY, description="What the transfer carries."),
        "confirmations": {"type": "integer", "minimum": 0, "description": "Blocks on top of the transfer's block at the network's latest scan (0 in the head block)."},
        "confirmations_needed": {"type": ["integer", "null"], "minimum": 0, "description": "The network's confirmations: the transfer is final (and credited) once confirmations reaches it. Null for a network with a finality tag."},
        "finality": {"type": "string", "enum": ["confirmations", "finalized", "safe", "solidified"], "description": "confirmations (a depth), or the finality tag the network follows."},
        "expected_finality_seconds": {"type": ["integer", "null"], "description": "With a finality tag: the chain's usual time from inclusion to finality (Ethereum: 900 finalized, 600 safe); null for a depth or a chain without a known figure."},
        "seen_at": dict(UNIX, description="When the transfer was first sighted."),
    }, desc="A transfer sighted for the intent before it is final."),
    "Topup": obj({
        "topup_id": {"type": "string", "format": "uuid"},
        "status": {"type": "string", "enum": ["pending", "confirming", "credited_auto", "credited_short", "credited_manual", "expired"],
                   "description": "confirming: a transfer that pays the intent was sighted and awaits finality (see confirming). A pending intent past expires_at is reported as expired."},
        "payment_address": {"type": "string", "description": "Empty when the network is no longer configured."},
        "payment_network": {"type": "string"},
        "amount_usdt": MONEY, "requested_amount_usdt": MONEY,
        "payment_memo": {"type": ["string", "null"], "description": "TON and Solana: the comment to send with the transfer; null elsewhere."},
        "created_at": UNIX, "expires_at": UNIX,
        "deposit": {"anyOf": [S("TopupDeposit"), {"type": "null"}], "description": "Null until credited."},
        "confirming": {"anyOf": [S("TopupConfirming"), {"type": "null"}], "description": "The sighted transfer while the status is confirming, else null."},
    }),
    "OrderRequest": obj({
        "product_id": dict(ID64, maximum=9223372036854775807, description="A positive JSON integer."),
        "quantity": {"type": "integer", "minimum": 1, "maximum": 10000, "description": "A JSON integer (10.0 is refused)."},
        "payment_method": {"type": "string", "default": "balance",
                           "description": "Only \"balance\" is implemented; any other string is answered 501.", "examples": ["balance"]},
        "webhook_url": {"type": ["string", "null"], "format": "uri", "maxLength": 2048,
                        "pattern": "^https?://[^\\s]+$",
                        "description": "http(s) URL, printable ASCII without spaces, no credentials, valid port, and (unless webhooks.allow_private_addresses) not localhost nor a non-public literal address in any spelling curl reads (loopback, private, link-local, reserved, 2130706433, 0177.0.0.1, ::ffff:127.0.0.1, 6to4 or NAT64 of one, Teredo, unique-local). Null is the same as absent."},
    }, required=["product_id", "quantity"], desc="Unknown members are refused (422)."),
    "DeliveredItem": {"type": "object", "description": "One delivered account (credentials), exactly as imported: a JSON object whose members depend on the product (e.g. login, password).",
                      "additionalProperties": True},
    "Order": order,
    "OrderWithItems": order_with_items,
    "OrderList": items_list("Order", "A page of this key's orders, newest first (never with `items`).", paged=True),
    "AuditEntry": obj({
        "id": ID64, "actor": {"type": "string"},
        "action": {"type": "string", "examples": ["keys.create", "deposits.assign", "orders.cancel", "webhooks.redeliver"]},
        "target": {"type": "string", "examples": ["key:42", "webhook:7"]},
        "details": {"type": "object", "description": "A JSON object, as stored.", "additionalProperties": True},
        "created_at": UNIX,
    }),
    "AuditList": items_list("AuditEntry", "The last 50 entries of api_audit_log, newest first."),
    "Deposit": obj({
        "id": ID64, "network": {"type": "string"}, "tx_id": {"type": "string"},
        "index": {"type": "integer", "format": "int64", "description": "Event (log/instruction) index within the transaction."},
        "from": {"type": "string"}, "to": {"type": "string"},
        "amount_usdt": MONEY,
        "raw_amount": {"type": "string", "pattern": "^-?[0-9]+$", "description": "The on-chain amount in token base units, as a decimal string."},
        "block": {"type": "integer", "format": "int64"}, "time": dict(UNIX, description="Block time, unix seconds."),
        "status": {"type": "string", "enum": ["credited", "assigned", "claimed", "unmatched", "external"],
                   "description": "claimed: credited through a claim (a proof or finance's approval)."},
        "reason": {"type": ["string", "null"], "enum": ["no_intent", "expired", "ambiguous", "amount_mismatch", "amount_out_of_range", "before_intent", "already_credited", None],
                   "description": "Why an unmatched deposit was not credited: before_intent (sent before the intent holding its amount existed), already_credited (a second payment), expired (after the intent's window), amount_mismatch (near a pending intent's amount but holding nothing), no_intent."},
        "key_id": {"type": ["integer", "null"], "format": "int64"},
        "topup_id": {"type": ["string", "null"], "format": "uuid", "description": "The intent it credited; for an unmatched deposit with reason expired, the intent it came late for."},
        "matched_by": {"type": ["string", "null"], "enum": ["amount", "fee", "memo", None],
                       "description": "How a credited deposit found its intent: its amount, its amount less an exchange withdrawal fee (credited short), or its memo."},
        "credited_short": {"type": "boolean", "description": "Credited less than its intent asked for (an exchange fee, or a memo payment below the requested amount)."},
        "memo": {"type": ["string", "null"], "description": "The comment the sender attached (TON, Solana); null when none."},
        "detected_at": UNIX,
        "reorg_status": {"type": ["string", "null"], "enum": ["vanished", "remined", None],
                         "description": "A reorg deeper than the network's finality replaced the deposit's block (EVM): vanished (the transfer is no longer on the chain; a credited one stays credited until finance decides, an unmatched one can no longer be assigned or claimed) or remined (the same transfer is in another block now, counted once); null otherwise."},
    }),
    "DepositList": items_list("Deposit", "Deposits, newest first."),
    "ReservationRequest": {
        "type": "object", "description": "Exactly one of amount_usdt and requested_amount_usdt. Other members are ignored.",
        "properties": {
            "network": {"type": "string"},
            "amount_usdt": {"description": "Reserve exactly this amount (1 to 100000, at most 2 decimals).", "anyOf": [{"type": "number"}, {"type": "string"}]},
            "requested_amount_usdt": {"description": "Reserve a random free amount above this one, like an intent.", "anyOf": [{"type": "number"}, {"type": "string"}]},
            "label": {"type": "string", "minLength": 1, "maxLength": 200, "description": "The website's reference, e.g. its order number."},
            "expires_in_seconds": {"type": "integer", "minimum": 10, "maximum": 604800, "description": "Default topups.expiry_seconds."},
        },
        "required": ["network", "label"],
    },
    "Reservation": obj({
        "reservation_id": ID64, "network": {"type": "string"}, "amount_usdt": MONEY,
        "label": {"type": "string"},
        "status": {"type": "string", "enum": ["active", "paid", "released"]},
        "actor": {"type": "string", "description": "Who reserved it: admin:<token name> or cli:<user>."},
        "created_at": UNIX, "expires_at": UNIX,
        "deposit": {"anyOf": [obj({"deposit_id": ID64, "tx_id": {"type": "string"}}), {"type": "null"}], "description": "The deposit that paid it (recorded external), once paid."},
    }),
    "ReservationList": items_list("Reservation", "Reservations, newest first."),
    "AssignDepositRequest": {
        "type": "object", "description": "Other members are ignored.",
        "properties": {"key_id": dict(ID64, description="A positive JSON integer: the API key to credit."),
                       "reason": {"type": "string", "minLength": 1, "maxLength": 500, "description": "1 to 500 bytes; audited."}},
        "required": ["key_id", "reason"],
    },
    "DepositAssignment": obj({
        "deposit_id": ID64, "key_id": ID64, "amount_usdt": MONEY,
        "transaction_id": dict(ID64, description="The ledger transaction of the credit."),
        "topup_id": {"type": ["string", "null"], "format": "uuid", "description": "The key's intent marked credited_manual (same network, closest amount within 10 %), if any."},
    }),
    "WebhookDelivery": obj({
        "id": ID64,
        "order_id": {"type": ["integer", "null"], "format": "int64", "description": "The order of an order event; null for a top-up event."},
        "topup_id": {"type": ["string", "null"], "format": "uuid", "description": "The intent of a topup.* event; null for an order event."},
        "key_id": ID64, "url": {"type": "string"},
        "event": {"type": "string", "enum": ["completed", "partial", "failed", "expired", "cancelled", "refunded",
                                             "topup.confirming", "topup.credited", "topup.credited_short", "topup.reorged", "topup.expired"]},
        "status": {"type": "string", "enum": ["pending", "delivered", "failed"]},
        "attempts": {"type": "integer", "minimum": 0},
        "last_http_status": {"type": ["integer", "null"]},
        "last_error": {"type": ["string", "null"]},
        "created_at": UNIX,
    }),
    "WebhookDeliveryList": items_list("WebhookDelivery", "Webhook deliveries, newest first."),
    "OrderWebhookPayload": obj({
        "order_id": ID64,
        "status": {"type": "string", "enum": ["completed", "partial", "failed", "expired", "cancelled"],
                   "description": "The order's status; the refund event repeats it with refunded true."},
        "price_usdt": MONEY,
        "quantity": {"type": "integer", "minimum": 1, "maximum": 10000},
        "product_id": ID64,
        "items": {"type": "array", "items": S("DeliveredItem"), "description": "The delivered accounts; [] unless completed or partial."},
        "error_message": {"type": ["string", "null"]},
        "refunded": {"type": "boolean"},
        "fired_at": dict(UNIX, description="When the event was queued (not when this attempt was sent)."),
        "items_withheld": {"const": True, "description": "Present when items were left out: the URL is plain http (unless webhooks.allow_items_over_http), or a final delivery was redelivered. Read them with GET /orders/{id}."},
    }, required=["order_id", "status", "price_usdt", "quantity", "product_id", "items", "error_message", "refunded", "fired_at"]),
    "TopupWebhookPayload": obj({
        "event": {"type": "string", "enum": ["topup.confirming", "topup.credited", "topup.credited_short", "topup.reorged", "topup.expired"]},
        "topup_id": {"type": "string", "format": "uuid"},
        "status": {"type": "string", "enum": ["pending", "confirming", "credited_auto", "credited_short", "credited_manual", "expired"],
                   "description": "The intent's status as GET /api/v1/balance/topup/{id} shows it when the event was queued."},
        "network": {"type": "string"},
        "amount_usdt": MONEY, "requested_amount_usdt": MONEY,
        "deposit": {"anyOf": [S("TopupDeposit"), {"type": "null"}], "description": "The credited deposit (credited events), else null."},
        "confirming": {"anyOf": [S("TopupConfirming"), {"type": "null"}], "description": "The sighted transfer (topup.confirming), else null."},
        "reorged": dict(S("TopupConfirming"), description="topup.reorged only: the sighting a reorg removed."),
        "created_at": UNIX, "expires_at": UNIX,
        "timestamp": dict(UNIX, description="When the event was queued (not when this attempt was sent)."),
    }, required=["event", "topup_id", "status", "network", "amount_usdt", "requested_amount_usdt", "deposit", "confirming", "created_at", "expires_at", "timestamp"]),
}


claim_status = {"type": "string", "enum": ["awaiting_proof", "in_review", "credited", "refused", "expired"],
                "description": "awaiting_proof: sign `challenge` and POST it to .../proof before expires_at (then it reads expired); in_review: finance decides; credited: the deposit is on the key's balance; refused: it is not (`reason` says why)."}

def claim_props(admin):
    p = {
        "claim_id": {"type": "string", "format": "uuid"},
        "status": claim_status,
        "deposit": S("ClaimDeposit"),
        "signature_scheme": {"type": "string", "enum": ["eip191", "tip191", "ed25519"],
                             "description": "How the sender's wallet signs `challenge`: eip191 (EVM personal_sign), tip191 (TronWeb signMessageV2), ed25519 (Solana signMessage; TON with the wallet's key)."},
        "challenge": {"type": "string", "description": "The exact text to sign (UTF-8, lines joined by \\n): names the claim, the key, the deposit, the expiry and a random nonce."},
        "created_at": UNIX,
        "expires_at": dict(UNIX, description="Until when the challenge may be proved (topups.claim_challenge_seconds after creation)."),
        "note": dict(NULLABLE_STR, description="The client's note when it asked for a review."),
        "reason": dict(NULLABLE_STR, description="Finance's reason (approve, refuse), or why the claim was refused."),
        "decided_at": NULLABLE_UNIX,
        "transaction_id": {"type": ["integer", "null"], "format": "int64", "description": "The ledger transaction of the credit, once credited."},
    }
    if admin:
        p["key_id"] = ID64
        p["deposit_id"] = ID64
        p["deposit_status"] = {"type": "string", "enum": ["credited", "assigned", "claimed", "unmatched", "external"]}
        p["decided_by"] = dict(NULLABLE_STR, description="key:<id> (a proof), admin:<token name> or cli:<user>.")
        p["review"] = {"anyOf": [S("ClaimReview"), {"type": "null"}],
                       "description": "What finance needs to decide a claim no signature proved (always set in the admin list; in the approve/refuse answers it is read after the decision is committed, and null if that read failed: the decision stands)."}
    return p

schemas.update({
    "ClaimRequest": obj({
        "network": {"type": "string", "description": "The network id the deposit was made on."},
        "tx_id": {"type": "string", "minLength": 1, "maxLength": 200, "description": "The transaction (hash, signature) as the chain names it."},
        "event_index": {"type": "integer", "minimum": 0, "maximum": 9007199254740991, "default": 0, "description": "The transfer's index in the transaction (EVM log index ...; on Tron the deposit's 48-bit index); 0 by default."},
    }, required=["network", "tx_id"], desc="Other members are refused (422)."),
    "ClaimDeposit": obj({
        "network": {"type": "string"}, "tx_id": {"type": "string"},
        "event_index": {"type": "integer", "format": "int64", "minimum": 0},
        "amount_usdt": MONEY,
        "from": {"type": "string", "description": "The sender: the wallet that must sign the challenge."},
    }),
    "Claim": obj(claim_props(False), desc="A claim of an unmatched deposit, as the key sees it."),
    "ClaimList": items_list("Claim", "The key's claims, newest first."),
    "AdminClaim": obj(claim_props(True), desc="A claim as finance sees it."),
    "ClaimReview": obj({
        "sender_deposits": {"type": "integer", "format": "int64", "minimum": 1, "description": "Deposits recorded from this sender address on the network, this one included. Capped: 10001 means 10000 or more. 1 for an unknown sender (from empty or unknown), whose deposits are not counted together."},
        "sender_credited_to_other_keys": {"type": "integer", "format": "int64", "minimum": 0, "description": "Of those, how many were credited (automatically, assigned or claimed) to keys other than the claimant's: a shared wallet (an exchange's) when above 0. Capped: 10001 means 10000 or more; 0 for an unknown sender."},
        "sender_other_keys": {"type": "integer", "format": "int64", "minimum": 0, "description": "How many distinct other keys those credits went to (when the credits are capped, the keys of the first 10001); 0 for an unknown sender."},
        "contested": {"type": "boolean", "description": "Another key's claim on this deposit is open (awaiting proof, in review) or credited."},
        "other_claims": {"type": "array", "maxItems": 20, "description": "Other keys' claims on this deposit, any status, newest first; the 20 newest of other_claims_total.",
                         "items": obj({"claim_id": {"type": "string", "format": "uuid"}, "key_id": ID64, "status": claim_status})},
        "other_claims_total": {"type": "integer", "format": "int64", "minimum": 0, "description": "How many claims other keys made on this deposit."},
        "late_for_key_id": {"type": ["integer", "null"], "format": "int64", "description": "The deposit came after the window of an intent of this other key (reason expired): that key very likely sent it."},
        "warnings": {"type": "array", "items": {"type": "string", "enum": ["shared_sender", "contested", "late_for_another_keys_topup", "unknown_sender"]},
                     "description": "shared_sender: the sender's deposits were credited to other keys; contested: another key claims this deposit; late_for_another_keys_topup: see late_for_key_id; unknown_sender: the chain did not say who sent it."},
    }, desc="Facts about a claim's sender and deposit, for finance's decision."),
    "AdminClaimList": items_list("AdminClaim", "Claims, newest first."),
    "ClaimProofRequest": obj({"signature": {"type": "string", "minLength": 1, "maxLength": 512,
        "description": "The wallet's signature of `challenge`: eip191/tip191 65 bytes as hex (0x optional); ed25519 64 bytes as base58, hex or base64."}},
        desc="Other members are refused (422)."),
    "ClaimReviewRequest": obj({"note": {"type": "string", "maxLength": 1000, "description": "For finance, e.g. which exchange sent it."}},
        required=[], desc="Other members are refused (422)."),
    "ClaimDecisionRequest": obj({"reason": {"type": "string", "minLength": 1, "maxLength": 1000, "description": "Audited."}},
        desc="Other members are refused (422)."),
})

# ---------------------------------------------------------------- headers, parameters, responses
headers = {
    "RateLimitLimit": {"description": "Admitted requests per key per sliding 60 s window (api.rate_limit_per_minute, 60 by default).", "required": True, "schema": {"type": "integer", "minimum": 1}},
    "RateLimitRemaining": {"description": "Requests left in the current window.", "required": True, "schema": {"type": "integer", "minimum": 0}},
    "RateLimitReset": {"description": "Seconds until the oldest counted request leaves the window.", "required": True, "schema": {"type": "integer", "minimum": 1}},
    "RateLimitLimitOptional": {"description": "As RateLimit-Limit; present when the request was admitted (API-key routes), absent on admin routes and on refusals before admission.", "schema": {"type": "integer", "minimum": 1}},
    "RateLimitRemainingOptional": {"description": "As RateLimit-Remaining; present when the request was admitted.", "schema": {"type": "integer", "minimum": 0}},
    "RateLimitResetOptional": {"description": "As RateLimit-Reset; present when the request was admitted.", "schema": {"type": "integer", "minimum": 1}},
    "RetryAfter": {"description": "Seconds to wait before retrying.", "required": True, "schema": {"type": "integer", "minimum": 1}},
    "Allow": {"description": "The methods the path does have, e.g. `GET, POST`.", "required": True, "schema": {"type": "string"}},
    "IdempotentReplayed": {"description": "`true` when the answer is a replay of an earlier order with the same Idempotency-Key and body.", "required": True, "schema": {"const": "true"}},
}
OPT_RATE = {"RateLimit-Limit": H("RateLimitLimitOptional"), "RateLimit-Remaining": H("RateLimitRemainingOptional"), "RateLimit-Reset": H("RateLimitResetOptional")}

def prob(desc, schema="Problem", hdrs=None, example=None):
    r = {"description": desc, "content": {"application/problem+json": {"schema": S(schema)}}}
    if hdrs:
        r["headers"] = hdrs
    if example:
        r["content"]["application/problem+json"]["example"] = example
    return r

responses = {
    "Unauthorized": prob("Missing, unknown or revoked X-API-Key; on POST with a key that has an HMAC secret: missing, malformed, stale (more than api.hmac_window_seconds, 300 s, from the server clock), wrong or replayed X-Timestamp/X-Signature. On admin paths: admin API disabled (no admin.token) or missing/wrong X-Admin-Token. Authentication runs before routing, so an unknown path also answers 401 without valid credentials."),
    "Forbidden": prob("The key has an IP whitelist and the client address (X-Forwarded-For counted only from api.trusted_proxies) is not on it."),
    "NotFound": prob("No such resource (also for an id that is not a positive integer / UUID), or it belongs to another key.", hdrs=OPT_RATE),
    "Conflict": prob("The request conflicts with the resource's current state.", hdrs=OPT_RATE),
    "Gone": prob("The claim's challenge expired (topups.claim_challenge_seconds); create a new claim.", hdrs=OPT_RATE),
    "PayloadTooLarge": prob("The request body is larger than api.max_body_bytes (64 KiB by default). The connection is closed."),
    "ValidationFailed": prob("Invalid query parameters, body or headers; all of them are listed in `errors`. Also for malformed percent-encoding or a query parameter given twice (field `query`).", "ValidationProblem", hdrs=OPT_RATE),
    "TooManyRequests": prob("Rate limit exceeded for this key.", "RateLimitedProblem",
                            hdrs={"Retry-After": H("RetryAfter"), **RATE_HEADERS}),
    "ServiceUnavailable": prob("The database is unreachable; retry shortly.", hdrs={"Retry-After": dict(H("RetryAfter"))}),
    "Error": prob("Other errors the server can give on any request: 400 malformed HTTP (connection closed), 404 unknown path, 405 method not allowed (with an Allow header), 413 body too large, 431 request headers over 16 KiB, 500 internal error.",
                  hdrs={"Allow": {"description": "With 405 only: the methods the path does have.", "schema": {"type": "string"}}}),
}
# ServiceUnavailable: Retry-After is always "2" from ProblemFor, but the health route 503 also comes from ProblemFor.
responses["ServiceUnavailable"]["headers"] = {"Retry-After": {"description": "Always 2 (seconds).", "required": True, "schema": {"type": "integer", "const": 2}}}

def qint(name, desc, default, mn, mx):
    return {"name": name, "in": "query", "required": False, "description": desc,
            "schema": {"type": "integer", "format": "int64", "minimum": mn, "maximum": mx, "default": default}}

parameters = {
    "Page": qint("page", "Page number, from 1.", 1, 1, 1000000),
    "PageSize": qint("page_size", "Items per page.", 50, 1, 200),
    "AdminLimit": qint("limit", "Most rows to return.", 100, 1, 10000),
    "XTimestamp": {"name": "X-Timestamp", "in": "header", "required": False,
                   "description": "Required when the API key has an HMAC secret: unix epoch seconds, within api.hmac_window_seconds (300) of the server clock.",
                   "schema": {"type": "string", "pattern": "^-?[0-9]+$"}, "example": "1779497200"},
    "XSignature": {"name": "X-Signature", "in": "header", "required": False,
                   "description": "Required when the API key has an HMAC secret: hex(HMAC-SHA256(secret, \"{X-Timestamp}\\n{raw request body}\")), case-insensitive. Each signature is accepted once (replays within the window are 401).",
                   "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"}},
    "IdempotencyKey": {"name": "Idempotency-Key", "in": "header", "required": False,
                       "description": "1 to 255 printable ASCII characters (0x21-0x7E), scoped to the API key. The same key with the same body answers 200 with the original order (Idempotent-Replayed: true); with another body 422.",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]{1,255}$"}},
}

def path_id(desc, schema):
    return {"name": "id", "in": "path", "required": True, "description": desc, "schema": schema}

ID_PARAM_INT = lambda what: path_id(f"{what} id. Anything that is not a positive integer answers 404.", {"type": "integer", "format": "int64", "minimum": 1})

# ---------------------------------------------------------------- operations
API_SEC = [{"apiKey": []}]
ADMIN_SEC = [{"adminToken": []}]

def api_errors(*extra, post=False):
    r = {"401": R("Unauthorized"), "403": R("Forbidden"), "429": R("TooManyRequests"), "503": R("ServiceUnavailable"), "default": R("Error")}
    if post:
        r["413"] = R("PayloadTooLarge")
    for e in extra:
        r[e] = R({"404": "NotFound", "409": "Conflict", "410": "Gone", "422": "ValidationFailed"}[e])
    return r

def admin_errors(*extra, post=False):
    r = {"401": R("Unauthorized"), "503": R("ServiceUnavailable"), "default": R("Error")}
    if post:
        r["413"] = R("PayloadTooLarge")
    for e in extra:
        r[e] = R({"404": "NotFound", "409": "Conflict", "410": "Gone", "422": "ValidationFailed"}[e])
    return r

def sort_resp(r):
    return dict(sorted(r.items(), key=lambda kv: (kv[0] == "default", kv[0])))

def op(op_id, summary, tags, sec, responses, params=None, body=None, desc=None):
    o = {"operationId": op_id, "summary": summary, "tags": tags}
    if desc:
        o["description"] = desc
    if sec is not None:
        o["security"] = sec
    if params:
        o["parameters"] = params
    if body:
        o["requestBody"] = body
    o["responses"] = sort_resp(responses)
    return o

def json_body(schema_name, desc=None):
    b = {"required": True, "content": {"application/json": {"schema": S(schema_name)}}}
    if desc:
        b["description"] = desc
    return b

# Reconciliation (docs/operations.md#reconciliation): amounts are exact decimal strings of the
# token (BSC has 18 places), each with its base units beside it.
schemas.update(json.loads(r"""{
 "Reconciliation": {
  "type": "object",
  "additionalProperties": false,
  "required": [
   "id",
   "network",
   "status",
   "position",
   "decimals",
   "chain_balance_usdt",
   "chain_balance_raw",
   "baseline",
   "incoming_usdt",
   "incoming_raw",
   "outgoing_usdt",
   "outgoing_raw",
   "drift_usdt",
   "drift_raw",
   "unexplained_usdt",
   "unexplained_raw",
   "lines",
   "actor",
   "run_at"
  ],
  "properties": {
   "id": {
    "type": "integer"
   },
   "network": {
    "type": "string"
   },
   "status": {
    "type": "string",
    "enum": [
     "clean",
     "drift"
    ],
    "description": "clean: the drift is zero."
   },
   "position": {
    "type": "integer",
    "description": "Balances are as of every block (position) below this one: the watcher's cursor when it ran."
   },
   "decimals": {
    "type": "integer",
    "description": "The token's decimals: `*_raw` are base units."
   },
   "chain_balance_usdt": {
    "type": "string",
    "pattern": "^-?[0-9]+(\\.[0-9]+)?$",
    "description": "The wallet's token balance on chain (exact decimal of the token)."
   },
   "chain_balance_raw": {
    "type": "string",
    "pattern": "^-?[0-9]+$",
    "description": "The wallet's token balance on chain in base units."
   },
   "baseline": {
    "type": "object",
    "required": [
     "position",
     "balance_usdt",
     "balance_raw"
    ],
    "additionalProperties": false,
    "description": "Where reconciliation counts from: the wallet's balance before `position` (the network's start block, or the first run).",
    "properties": {
     "position": {
      "type": "integer"
     },
     "balance_usdt": {
      "type": "string",
      "pattern": "^-?[0-9]+(\\.[0-9]+)?$",
      "description": "Exact decimal."
     },
     "balance_raw": {
      "type": "string",
      "pattern": "^-?[0-9]+$",
      "description": "Base units."
     }
    }
   },
   "incoming_usdt": {
    "type": "string",
    "pattern": "^-?[0-9]+(\\.[0-9]+)?$",
    "description": "Deposits the ledger recorded since the baseline, whoever they were credited to (exact decimal of the token)."
   },
   "incoming_raw": {
    "type": "string",
    "pattern": "^-?[0-9]+$",
    "description": "Deposits the ledger recorded since the baseline, whoever they were credited to in base units."
   },
   "outgoing_usdt": {
    "type": "string",
    "pattern": "^-?[0-9]+(\\.[0-9]+)?$",
    "description": "Transfers out of the wallet since the baseline, read from the chain (exact decimal of the token)."
   },
   "outgoing_raw": {
    "type": "string",
    "pattern": "^-?[0-9]+$",
    "description": "Transfers out of the wallet since the baseline, read from the chain in base units."
   },
   "drift_usdt": {
    "type": "string",
    "pattern": "^-?[0-9]+(\\.[0-9]+)?$",
    "description": "chain_balance - (baseline + incoming - outgoing) (exact decimal of the token)."
   },
   "drift_raw": {
    "type": "string",
    "pattern": "^-?[0-9]+$",
    "description": "chain_balance - (baseline + incoming - outgoing) in base units."
   },
   "unexplained_usdt": {
    "type": "string",
    "pattern": "^-?[0-9]+(\\.[0-9]+)?$",
    "description": "The drift less the effects of its lines (exact decimal of the token)."
   },
   "unexplained_raw": {
    "type": "string",
    "pattern": "^-?[0-9]+$",
    "description": "The drift less the effects of its lines in base units."
   },
   "lines": {
    "type": "array",
    "maxItems": 1000,
    "description": "The drift explained, one transfer per line (at most 1,000; the rest is in `unexplained`).",
    "items": {
     "type": "object",
     "additionalProperties": false,
     "required": [
      "kind",
      "tx_id",
      "index",
      "counterparty",
      "block",
      "amount_usdt",
      "amount_raw",
      "effect_usdt",
      "effect_raw"
     ],
     "properties": {
      "kind": {
       "type": "string",
       "enum": [
        "unrecorded_incoming",
        "unrecorded_outgoing",
        "incoming_not_on_chain",
        "outgoing_not_on_chain"
       ],
       "description": "unrecorded_*: on chain, not in the ledger (a missed deposit, an unrecorded sweep); *_not_on_chain: in the ledger, not on chain (a lying node, a vanished block)."
      },
      "tx_id": {
       "type": "string"
      },
      "index": {
       "type": "integer"
      },
      "counterparty": {
       "type": "string",
       "description": "The sender of an incoming transfer, the receiver of an outgoing one."
      },
      "block": {
       "type": "integer"
      },
      "amount_usdt": {
       "type": "string",
       "pattern": "^-?[0-9]+(\\.[0-9]+)?$",
       "description": "Exact decimal."
      },
      "amount_raw": {
       "type": "string",
       "pattern": "^-?[0-9]+$",
       "description": "Base units."
      },
      "effect_usdt": {
       "type": "string",
       "pattern": "^-?[0-9]+(\\.[0-9]+)?$",
       "description": "What this line adds to the drift (signed)."
      },
      "effect_raw": {
       "type": "string",
       "pattern": "^-?[0-9]+$",
       "description": "The same in base units."
      }
     }
    }
   },
   "actor": {
    "type": "string",
    "description": "reconciler (the periodic run), or cli:<user> for `admin reconcile`."
   },
   "run_at": {
    "type": "integer",
    "description": "Unix seconds."
   }
  },
  "description": "One reconciliation of a network's master wallet: its token balance on chain against the ledger, both as of `position`."
 },
 "ReconciliationList": {
  "type": "object",
  "additionalProperties": false,
  "required": [
   "items"
  ],
  "properties": {
   "items": {
    "type": "array",
    "items": {
     "$ref": "#/components/schemas/Reconciliation"
    }
   }
  }
 }
}"""))

paths = {}
paths["/api/v1/health"] = {"get": op("getHealth", "Key validation and uptime probe", ["Service"], API_SEC,
    {"200": ok("Healthy.", S("Health")), **api_errors()},
    desc="Validates the key (counts as a request for rate limit and usage). 503 while the database is down.")}

paths["/api/v1/products"] = {"get": op("listProducts", "List products", ["Catalog"], API_SEC,
    {"200": ok("A page of products, by id.", S("ProductList")), **api_errors("422")},
    params=[
        {"name": "category", "in": "query", "required": False, "description": "Exact category name.", "schema": {"type": "string", "minLength": 1, "maxLength": 100}},
        {"name": "sku", "in": "query", "required": False, "description": "Exact SKU.", "schema": {"type": "string", "minLength": 1, "maxLength": 100}},
        {"name": "min_price", "in": "query", "required": False, "description": "Inclusive lower bound on the unit price, USDT, at most 6 decimals (read from its text). Must not exceed max_price.", "schema": {"type": "number", "minimum": 0}},
        {"name": "max_price", "in": "query", "required": False, "description": "Inclusive upper bound on the unit price, USDT, at most 6 decimals.", "schema": {"type": "number", "minimum": 0}},
        qint("min_qty", "Only products with at least this many items in stock; the default 1 hides sold-out products, 0 shows them.", 1, 0, 1000000000),
        P("Page"), P("PageSize"),
    ], desc="Length limits on category/sku are in bytes of UTF-8. Unknown query parameters are ignored; a parameter given twice is 422.")}

paths["/api/v1/products/{id}"] = {"get": op("getProduct", "Get one product", ["Catalog"], API_SEC,
    {"200": ok("The product (also when sold out).", S("Product")), **api_errors("404")},
    params=[ID_PARAM_INT("Product")])}

paths["/api/v1/categories"] = {"get": op("listCategories", "List categories with product counts and minimum prices", ["Catalog"], API_SEC,
    {"200": ok("All categories.", S("CategoryList")), **api_errors()})}

paths["/api/v1/balance"] = {"get": op("getBalance", "Get the key's balance and totals", ["Account"], API_SEC,
    {"200": ok("The balance.", S("Balance")), **api_errors()})}

paths["/api/v1/usage"] = {"get": op("getUsage", "Get the key's usage statistics", ["Account"], API_SEC,
    {"200": ok("Usage of this key; every admitted request counts, this one included.", S("Usage")), **api_errors()})}

paths["/api/v1/balance/topup"] = {"post": op("createTopup", "Create a top-up intent", ["Top-ups"], API_SEC,
    {"200": ok("The intent: send exactly amount_usdt to payment_address before expires_at.", S("TopupCreated")),
     **api_errors("409", "422", post=True)},
    params=[P("XTimestamp"), P("XSignature"), P("IdempotencyKey")], body=json_body("TopupRequest"),
    desc="409 when the key already has topups.max_pending_per_key (3) pending intents on the network, or topups.max_unpaid_held_per_key (10) not paid in full that still hold their amounts, or when no free amount within topups.max_surcharge_usdt above the requested one is left. 422 on a bad body, a refused webhook_url, an Idempotency-Key used before with another body, or an unknown or disabled network. With the same Idempotency-Key and body, the earlier intent is answered again.")}

paths["/api/v1/balance/topup/{id}"] = {"get": op("getTopup", "Get a top-up intent", ["Top-ups"], API_SEC,
    {"200": ok("The intent and, once credited, its deposit.", S("Topup")), **api_errors("404")},
    params=[path_id("Top-up id (UUID). Anything else, or another key's intent, answers 404.", {"type": "string", "format": "uuid"})])}


CLAIM_ID = path_id("Claim id (UUID). Anything else, or another key's claim, answers 404.", {"type": "string", "format": "uuid"})
paths["/api/v1/balance/claims"] = {
    "post": op("createClaim", "Claim an unmatched deposit", ["Claims"], API_SEC,
        {"201": {"description": "The claim, awaiting proof: have the deposit's sender sign `challenge` and POST the signature to .../proof before expires_at.",
                 "headers": dict(RATE_HEADERS), "content": {"application/json": {"schema": S("Claim")}}},
         **api_errors("404", "409", "422", post=True)},
        params=[P("XTimestamp"), P("XSignature")], body=json_body("ClaimRequest"),
        desc="404: no such deposit was recorded on the network (not yet final, or never sent to our wallet). 409: the deposit was already credited, paid a reservation (external) or has no creditable amount; this key has an open claim on it; or the key has topups.max_open_claims (10) open claims. 422: a bad body or a network this server does not have."),
    "get": op("listClaims", "List the key's claims", ["Claims"], API_SEC,
        {"200": ok("Newest first.", S("ClaimList")), **api_errors("422")},
        params=[qint("limit", "Most claims to return.", 50, 1, 200)]),
}
paths["/api/v1/balance/claims/{id}"] = {"get": op("getClaim", "Get a claim", ["Claims"], API_SEC,
    {"200": ok("The claim.", S("Claim")), **api_errors("404")}, params=[CLAIM_ID])}
paths["/api/v1/balance/claims/{id}/proof"] = {"post": op("proveClaim", "Prove a claim with the sender's signature", ["Claims"], API_SEC,
    {"200": ok("Verified: the deposit is credited to this key at once; the claim is credited.", S("Claim")),
     **api_errors("404", "409", "410", "422", post=True)},
    params=[CLAIM_ID, P("XTimestamp"), P("XSignature")], body=json_body("ClaimProofRequest"),
    desc="422: the signature is malformed, or is not the deposit sender's signature of exactly this claim's challenge (`errors` says which). 409: the claim was already credited or refused, is in review, or the deposit was credited meanwhile. 410: the challenge expired. 503 for a TON claim when this server cannot read wallets' public keys from the chain. Nothing changes on an error.")}
paths["/api/v1/balance/claims/{id}/review"] = {"post": op("requestClaimReview", "Ask finance to review a claim without a proof", ["Claims"], API_SEC,
    {"200": ok("The claim, in review.", S("Claim")), **api_errors("404", "409", "410", "422", post=True)},
    params=[CLAIM_ID, P("XTimestamp"), P("XSignature")], body=json_body("ClaimReviewRequest"),
    desc="For a deposit the client cannot sign for (sent from an exchange). 409 when the claim is not awaiting proof or the deposit was credited; 410 when its challenge expired.")}
paths["/api/admin/claims"] = {"get": op("adminListClaims", "List claims (finance's queue)", ["Admin"], ADMIN_SEC,
    {"200": ok("Claims, newest first.", S("AdminClaimList"), headers=False), **admin_errors("422")},
    params=[{"name": "status", "in": "query", "required": False, "description": "Only claims with this status; in_review is finance's queue.",
             "schema": {"type": "string", "enum": ["all", "awaiting_proof", "in_review", "credited", "refused", "expired"], "default": "all"}}, P("AdminLimit")])}
paths["/api/admin/claims/{id}/approve"] = {"post": op("adminApproveClaim", "Approve a claim: credit its deposit to its key", ["Admin"], ADMIN_SEC,
    {"200": ok("Credited once (as a proof would), audited claims.approved.", S("AdminClaim"), headers=False),
     **admin_errors("404", "409", "422", post=True)},
    params=[path_id("Claim id (UUID).", {"type": "string", "format": "uuid"})], body=json_body("ClaimDecisionRequest"),
    desc="409 when the claim is not awaiting proof or in review, or its deposit is no longer unmatched.")}
paths["/api/admin/claims/{id}/refuse"] = {"post": op("adminRefuseClaim", "Refuse a claim", ["Admin"], ADMIN_SEC,
    {"200": ok("The claim, refused (audited claims.refused); the deposit stays unmatched.", S("AdminClaim"), headers=False),
     **admin_errors("404", "409", "422", post=True)},
    params=[path_id("Claim id (UUID).", {"type": "string", "format": "uuid"})], body=json_body("ClaimDecisionRequest"),
    desc="409 when the claim is not awaiting proof or in review.")}

orders_post_responses = {
    "201": {"description": "Order created: the balance is debited and stock reserved in one transaction; status processing.",
            "headers": dict(RATE_HEADERS), "content": {"application/json": {"schema": S("Order")}}},
    "200": {"description": "Replay: an order with this Idempotency-Key and the same body exists; it is returned as it is now.",
            "headers": {"Idempotent-Replayed": H("IdempotentReplayed"), **RATE_HEADERS},
            "content": {"application/json": {"schema": S("Order")}}},
    "400": prob("Below the product's min_quantity, or priced below orders.min_order_usdt.", "BelowMinimumProblem", hdrs=OPT_RATE),
    "402": prob("The balance is below the price.", "InsufficientBalanceProblem", hdrs=OPT_RATE),
    "404": prob("No such product.", hdrs=OPT_RATE),
    "409": prob("Stock below the quantity.", "InsufficientStockProblem", hdrs=OPT_RATE),
    "422": R("ValidationFailed"),
    "501": prob("payment_method other than \"balance\" (invoice mode is not implemented).", hdrs=OPT_RATE),
}
paths["/api/v1/orders"] = {
    "post": op("createOrder", "Place an order paid from the balance", ["Orders"], API_SEC,
        {**orders_post_responses, **{k: v for k, v in api_errors(post=True).items()}},
        params=[P("XTimestamp"), P("XSignature"), P("IdempotencyKey")], body=json_body("OrderRequest"),
        desc="Price = unit price × quantity, exactly. Fulfilment is asynchronous: poll GET /api/v1/orders/{id} or pass webhook_url."),
    "get": op("listOrders", "List the key's orders", ["Orders"], API_SEC,
        {"200": ok("A page of orders, newest first.", S("OrderList")), **api_errors("422")},
        params=[{"name": "status", "in": "query", "required": False, "description": "Only orders with this status.",
                 "schema": {"type": "string", "enum": ["processing", "completed", "partial", "failed", "expired", "cancelled"]}},
                P("Page"), P("PageSize")]),
}
paths["/api/v1/orders/{id}"] = {"get": op("getOrder", "Get an order with its delivered items", ["Orders"], API_SEC,
    {"200": ok("The order; items when completed or partial, delivered when partial.", S("OrderWithItems")), **api_errors("404")},
    params=[ID_PARAM_INT("Order")])}

paths["/api/admin/api-audit"] = {"get": op("adminListAudit", "List the last 50 audit log entries", ["Admin"], ADMIN_SEC,
    {"200": ok("Newest first.", S("AuditList"), headers=False), **admin_errors()})}

paths["/api/admin/deposits"] = {"get": op("adminListDeposits", "List deposits", ["Admin"], ADMIN_SEC,
    {"200": ok("Deposits, newest first.", S("DepositList"), headers=False), **admin_errors("422")},
    params=[{"name": "status", "in": "query", "required": False, "description": "unmatched: only deposits awaiting manual assignment; credited_short: credited less than their intent asked for; external: paid a reservation of the website; reorged: a deep chain reorg replaced their block (reorg_status vanished or remined).",
             "schema": {"type": "string", "enum": ["all", "unmatched", "credited_short", "external", "reorged"], "default": "all"}}, P("AdminLimit")])}

paths["/api/admin/amount-reservations"] = {
    "post": op("adminCreateReservation", "Reserve an amount on a shared wallet", ["Admin"], ADMIN_SEC,
        {"201": ok("Held for the website: no intent is given it (nor its amount less a withdrawal fee) while held; audited.", S("Reservation"), headers=False),
         **admin_errors("409", "422", post=True)},
        body=json_body("ReservationRequest"),
        desc="The website's checkout shares the master wallets: it reserves its amounts in the same registry as top-up intents. 409: the amount (or every amount of the band) is held."),
    "get": op("adminListReservations", "List reservations", ["Admin"], ADMIN_SEC,
        {"200": ok("Newest first.", S("ReservationList"), headers=False), **admin_errors("422")},
        params=[{"name": "network", "in": "query", "required": False, "schema": {"type": "string"}}, P("AdminLimit")])}
paths["/api/admin/amount-reservations/{id}"] = {"get": op("adminGetReservation", "Get a reservation", ["Admin"], ADMIN_SEC,
    {"200": ok("The reservation and, once paid, its deposit.", S("Reservation"), headers=False), **admin_errors("404")},
    params=[ID_PARAM_INT("Reservation")])}
paths["/api/admin/amount-reservations/{id}/release"] = {"post": op("adminReleaseReservation", "Release a reservation", ["Admin"], ADMIN_SEC,
    {"200": ok("Released; its amounts stay held for topups.amount_cooldown_seconds, so a payment under way still finds it; audited.", S("Reservation"), headers=False),
     **admin_errors("404", "409", post=True)},
    params=[ID_PARAM_INT("Reservation")], desc="409: the reservation is not active (paid or released).")}

paths["/api/admin/deposits/{id}/assign"] = {"post": op("adminAssignDeposit", "Credit an unmatched deposit to a key", ["Admin"], ADMIN_SEC,
    {"200": ok("Credited once and audited.", S("DepositAssignment"), headers=False),
     **admin_errors("404", "409", "422", post=True)},
    params=[ID_PARAM_INT("Deposit")], body=json_body("AssignDepositRequest"),
    desc="404: no such deposit or no such key. 409: the deposit is not unmatched (e.g. already assigned) or has no creditable amount.")}

paths["/api/admin/reconciliation"] = json.loads(r"""{
 "get": {
  "operationId": "adminListReconciliations",
  "summary": "Reconciliation of the master wallets",
  "description": "The latest reconciliation of each network, or with `network` that network's runs, newest first. Runs come from the periodic job (`reconciliation.interval_seconds`) and `instamarketd admin reconcile`; this call reads the ledger only and never makes the daemon call a chain node.",
  "tags": [
   "Admin"
  ],
  "security": [
   {
    "adminToken": []
   }
  ],
  "parameters": [
   {
    "name": "network",
    "in": "query",
    "required": false,
    "description": "A configured network id: its runs instead of the latest of each.",
    "schema": {
     "type": "string"
    }
   },
   {
    "name": "limit",
    "in": "query",
    "required": false,
    "description": "At most this many runs (1 to 100).",
    "schema": {
     "type": "integer",
     "minimum": 1,
     "maximum": 100,
     "default": 20
    }
   }
  ],
  "responses": {
   "200": {
    "description": "Runs, newest first.",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/ReconciliationList"
      }
     }
    }
   },
   "401": {
    "$ref": "#/components/responses/Unauthorized"
   },
   "422": {
    "$ref": "#/components/responses/ValidationFailed"
   },
   "503": {
    "$ref": "#/components/responses/ServiceUnavailable"
   },
   "default": {
    "$ref": "#/components/responses/Error"
   }
  }
 }
}""")

paths["/api/admin/orders/{id}/cancel"] = {"post": op("adminCancelOrder", "Cancel a processing order", ["Admin"], ADMIN_SEC,
    {"200": ok("The order, now cancelled (refund due; stock released; webhook queued; audited).", S("Order"), headers=False),
     **admin_errors("404", "409", post=True)},
    params=[ID_PARAM_INT("Order")],
    desc="No request body is read. 409 when the order is not processing.")}

paths["/api/admin/webhooks"] = {"get": op("adminListWebhooks", "List webhook deliveries", ["Admin"], ADMIN_SEC,
    {"200": ok("Deliveries, newest first.", S("WebhookDeliveryList"), headers=False), **admin_errors("422")},
    params=[{"name": "status", "in": "query", "required": False, "description": "Only deliveries with this status (all when absent).",
             "schema": {"type": "string", "enum": ["pending", "delivered", "failed"]}}, P("AdminLimit")])}

paths["/api/admin/webhooks/{id}/redeliver"] = {"post": op("adminRedeliverWebhook", "Send a failed webhook delivery again", ["Admin"], ADMIN_SEC,
    {"200": ok("The delivery, back to pending with attempts reset to 0 (audited).", S("WebhookDelivery"), headers=False),
     **admin_errors("404", "409", post=True)},
    params=[ID_PARAM_INT("Webhook delivery")],
    desc="No request body is read. 409 when the delivery is not failed.")}

paths["/livez"] = {"get": op("getLiveness", "Liveness probe", ["Probes"], [],
    {"200": {"description": "The process is up.", "content": {"application/json": {"schema": S("Liveness")}}}},
    desc="No key, no rate limit, no usage. Answers this way to any method.")}
paths["/readyz"] = {"get": op("getReadiness", "Readiness probe", ["Probes"], [],
    {"200": {"description": "Ready.", "content": {"application/json": {"schema": S("Readiness"), "example": {"status": "ready"}}}},
     "503": {"description": "Not ready: shutting down, or the database is unreachable (plain JSON, not problem+json).",
             "content": {"application/json": {"schema": S("Readiness"), "example": {"status": "not_ready", "reason": "database unreachable"}}}}},
    desc="No key, no rate limit, no usage. Answers this way to any method.")}
paths["/metrics"] = {"get": op("getMetrics", "Prometheus metrics", ["Probes"], [],
    {"200": {"description": "Prometheus text exposition format; no per-key series.",
             "content": {"text/plain; version=0.0.4; charset=utf-8": {"schema": {"type": "string"}}}}},
    desc="No key, no rate limit, no usage. Only GET; other methods on /metrics are treated as an unknown path (401 without a key, 404 with one).")}
paths["/api/v1/openapi.json"] = {"get": op("getOpenApiDocument", "This document", ["Probes"], [],
    {"200": {"description": "The OpenAPI 3.1 document of the API (docs/openapi.json, built into the daemon).",
             "content": {"application/json": {"schema": {"type": "object"}}}}},
    desc="No key, no rate limit, no usage. Only GET.")}
paths["/api/docs"] = {"get": op("getDocsPage", "The API docs page with the Try-it playground", ["Probes"], [],
    {"200": {"description": "A self-contained HTML page (no external resources): the API explained, and a button per endpoint that calls it from the browser (HMAC signed with WebCrypto when a secret is given).",
             "content": {"text/html; charset=utf-8": {"schema": {"type": "string"}}}}},
    desc="No key. Only GET.")}
paths["/api/docs/postman.json"] = {"get": op("getPostmanCollection", "The Postman collection", ["Probes"], [],
    {"200": {"description": "Postman collection v2.1 of every endpoint, generated from this document, with a pre-request script that signs POSTs.",
             "content": {"application/json": {"schema": {"type": "object"}}}}},
    desc="No key. Only GET.")}

# ---------------------------------------------------------------- webhooks
webhooks = {
    "orderStatusChanged": {"post": {
        "operationId": "orderStatusChangedWebhook",
        "summary": "Order status change or refund, POSTed to the order's webhook_url",
        "description": (
            "Sent (from the webhook outbox) for every status change of an order placed with `webhook_url`: "
            "completed, partial, failed, expired, cancelled, and once more when the refund is paid (`refunded: true`, status repeated). "
            "A 2xx answer within webhooks.timeout_ms (10 s) counts as delivered; anything else is retried after 1, 2, 4, 8, 16 s "
            "(webhooks.backoff_base_ms, webhooks.max_retries = 5 retries after the first attempt), then the delivery is failed and an admin can redeliver it. "
            "Redirects are not followed; every address a host name resolves to is checked before connecting, and only public ones are connected to (unless webhooks.allow_private_addresses). "
            "Delivery is at least once: deduplicate on X-Webhook-Id."),
        "tags": ["Webhooks"],
        "parameters": [
            {"name": "X-Webhook-Id", "in": "header", "required": True, "description": "The delivery id (decimal integer); the same on every retry of it.", "schema": {"type": "string", "pattern": "^[0-9]+$"}},
            {"name": "X-Webhook-Timestamp", "in": "header", "required": True, "description": "Unix seconds when this attempt was signed.", "schema": {"type": "string", "pattern": "^[0-9]+$"}},
            {"name": "X-Webhook-Signature", "in": "header", "required": True,
             "description": "Comma-separated versioned signatures: v1= and hex(HMAC-SHA256(the key's webhook secret, \"{X-Webhook-Id}.{X-Webhook-Timestamp}.{raw body}\")), lowercase. Every webhook is signed. During the grace period after a webhook secret rotation there are two, the new secret's first. Accept when any v1 signature matches; ignore other versions.",
             "schema": {"type": "string", "pattern": "^v1=[0-9a-f]{64}(,v1=[0-9a-f]{64})?$"}},
            {"name": "User-Agent", "in": "header", "required": False, "description": "Always instamarketd-webhooks.", "schema": {"const": "instamarketd-webhooks"}},
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": S("OrderWebhookPayload")}}},
        "responses": {
            "2XX": {"description": "Delivered; the answer body is read (up to 64 KiB) and discarded."},
            "default": {"description": "Any other status, a timeout or a connection error: retried with exponential backoff."},
        },
    }}
}
webhooks["topupProgress"] = {"post": dict(
    webhooks["orderStatusChanged"]["post"],
    operationId="topupProgressWebhook",
    summary="Top-up progress, POSTed to the intent's webhook_url",
    description=(
        "Sent (from the same outbox, with the same signature, retries and address rules as order webhooks) for each step of a top-up "
        "intent created with `webhook_url`: topup.confirming (a transfer that pays it was sighted before finality; once per sighting), "
        "topup.credited or topup.credited_short (credited), topup.reorged (a reorg removed the sighting; the intent is pending again), "
        "topup.expired (the expiry sweeper expired it). Delivery is at least once: deduplicate on X-Webhook-Id."),
    requestBody={"required": True, "content": {"application/json": {"schema": S("TopupWebhookPayload")}}})}

doc = {
    "openapi": "3.1.0",
    "info": {
        "title": "InstaMarket API (instamarketd)",
        "version": "1.0.0",
        "description": "\n".join([
            "REST API for wholesale clients: catalog, balance top-ups via on-chain USDT deposits, orders and order webhooks, as implemented by instamarketd. Client routes live under `/api/v1`, admin routes under `/api/admin`; `/livez`, `/readyz` and `/metrics` are unauthenticated probes.",
            "",
            "**Authentication.** Every `/api/v1` request needs `X-API-Key` (missing, unknown or revoked: 401). A key with an IP whitelist answers 403 to any other client address (`X-Forwarded-For` counts only from `api.trusted_proxies`). Admin routes take `X-Admin-Token` instead (401 when missing or wrong, or when the admin API is disabled). Authentication runs before routing: an unknown path answers 401 without valid credentials and 404 with them.",
            "",
            "**HMAC.** For a key with an HMAC secret every POST must carry `X-Timestamp` (unix seconds, within 300 s of the server clock) and `X-Signature` = hex(HMAC-SHA256(secret, \"{timestamp}\\n{raw body}\")). Missing, stale or wrong: 401. A signature is accepted once; reusing it within the window is a replay and gets 401. GETs need no signature.",
            "",
            "**Rate limits.** `api.rate_limit_per_minute` (60) admitted requests per key in any sliding 60 s window, across every instance on the same database. Every answer to an admitted request carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; a refused one is 429 with `Retry-After` and a `retry_after` member. Admin routes and probes are not rate limited.",
            "",
            "**Money.** Amounts are JSON numbers written exactly from integer micro-USDT, with up to 6 decimals (`50.0`, `12.34`, `0.000001`). Query amounts may have at most 6 decimals; top-up amounts at most 2.",
            "",
            "**Errors.** Every error is `application/problem+json` (RFC 9457) with `type`, `title`, `status`, `detail`; 422 adds `errors` (every bad field), 429 adds `retry_after`, and some order errors add members (see the schemas). Server-level errors: 400 malformed HTTP, 404 unknown path, 405 with `Allow`, 413 body over `api.max_body_bytes` (64 KiB), 431 headers over 16 KiB, 503 with `Retry-After` while the database is unreachable.",
        ]),
    },
    "servers": [{"url": "/"}],
    "tags": [
        {"name": "Service"}, {"name": "Catalog"}, {"name": "Account"}, {"name": "Top-ups"},
        {"name": "Claims", "description": "Claiming an unmatched deposit: prove it with the sender wallet's signature, or ask for a review."},
        {"name": "Orders"}, {"name": "Admin", "description": "Under /api/admin, with X-Admin-Token; no rate limit, no HMAC."},
        {"name": "Probes", "description": "Unauthenticated, for process managers, load balancers and Prometheus."},
        {"name": "Webhooks", "description": "Requests instamarketd sends to clients."},
    ],
    "security": API_SEC,
    "paths": paths,
    "webhooks": webhooks,
    "components": {
        "securitySchemes": {
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "The client's API key, issued by an admin."},
            "adminToken": {"type": "apiKey", "in": "header", "name": "X-Admin-Token", "description": "The admin token (admin.token); the admin API is disabled when none is configured."},
        },
        "schemas": schemas,
        "parameters": parameters,
        "headers": headers,
        "responses": responses,
    },
}

# INSTAMARKET_DOCS_OUT: write elsewhere (tests compare the output with the committed file).
OUT = os.environ.get("INSTAMARKET_DOCS_OUT") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs")
with open(os.path.join(OUT, "openapi.json"), "w") as f:
    json.dump(doc, f, indent=2, ensure_ascii=False)
    f.write("\n")
