#pragma once

#include "api/handler_context.h"
#include "core/json_writer.h"
#include "ledger/claim_store.h"

namespace instamarket {

// Claims of unmatched deposits (docs/api.md, "Claiming an unmatched deposit").

// POST /api/v1/balance/claims {"network", "tx_id", "event_index"?}: 201, a claim with the
// challenge the deposit's sender signs.
HttpResponse HandleCreateClaim(const HandlerContext& ctx);
// GET /api/v1/balance/claims?limit=N: the key's claims, newest first.
HttpResponse HandleListClaims(const HandlerContext& ctx);
// GET /api/v1/balance/claims/{id}
HttpResponse HandleGetClaim(const HandlerContext& ctx);
// POST /api/v1/balance/claims/{id}/proof {"signature"}: verified, then credited at once.
HttpResponse HandleProveClaim(const HandlerContext& ctx);
// POST /api/v1/balance/claims/{id}/review {"note"}: to finance's queue without a proof.
HttpResponse HandleRequestClaimReview(const HandlerContext& ctx);
// GET /api/admin/claims?status=S&limit=N
HttpResponse HandleAdminListClaims(const HandlerContext& ctx);
// POST /api/admin/claims/{id}/approve {"reason"}
HttpResponse HandleAdminApproveClaim(const HandlerContext& ctx);
// POST /api/admin/claims/{id}/refuse {"reason"}
HttpResponse HandleAdminRefuseClaim(const HandlerContext& ctx);

// A claim as JSON; `admin` adds who decided, the key, the deposit id and "review" (the review
// facts, docs/api.md; null when the record carries none). `now`: unix seconds,
// for the status of a claim whose challenge lapsed.
void WriteClaimJson(JsonWriter& json, const ClaimRecord& claim, std::int64_t now, bool admin);

// The signature scheme of a network kind: eip191 (evm), tip191 (tron), ed25519 (solana, ton);
// "" for another kind.
const char* SignatureSchemeOf(const std::string& kind);

}  // namespace instamarket
