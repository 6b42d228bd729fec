#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "ledger/database.h"

namespace instamarket {

// `instamarketd admin reconcile [--network ID] [--format json|csv]`: reconciles each enabled
// network (or the one named) now, against its chain, and prints the runs (one JSON array, or
// CSV: a summary row per network then one row per line). A network that cannot be reconciled
// is reported with its reason; the exit code is 1 when a node or the database failed.
// `words` are what follows "reconcile".
int RunReconcileCommand(Database& db, const Config& config, const std::vector<std::string>& words,
                        const std::string& actor);

}  // namespace instamarket
