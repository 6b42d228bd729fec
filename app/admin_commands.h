#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "ledger/database.h"

namespace instamarket {

// `instamarketd admin ...`: keys, credits, catalog and stock. `words` are what follows
// "admin". Prints per the contract in cli_output.h and returns the exit code.
// `current_master_key_id` is named in `secrets` output.
int RunAdminCommand(Database& db, const Config& config, const std::string& current_master_key_id,
                    const std::vector<std::string>& words);

// Who is acting, for the audit log: "cli:<user>".
std::string CliActor();

}  // namespace instamarket
