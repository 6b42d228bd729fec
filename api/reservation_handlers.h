#pragma once

#include "api/handler_context.h"

namespace instamarket {

// The website's checkout reserves amounts on the shared wallets in the same registry as
// top-up intents (admin API): POST/GET /api/admin/amount-reservations, GET .../{id},
// POST .../{id}/release.
HttpResponse HandleAdminCreateReservation(const HandlerContext& ctx);
HttpResponse HandleAdminListReservations(const HandlerContext& ctx);
HttpResponse HandleAdminGetReservation(const HandlerContext& ctx);
HttpResponse HandleAdminReleaseReservation(const HandlerContext& ctx);

// The request both surfaces build: the network's fees and the config's rules applied.
NewReservation ReservationRequest(const Config& config, const NetworkConfig& network);

}  // namespace instamarket
