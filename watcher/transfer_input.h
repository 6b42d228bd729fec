#pragma once

#include "adapters/transfer.h"
#include "ledger/deposit_store.h"

namespace instamarket {

// A transfer as a chain API stated it, as the ledger records it. Text fields come from the
// chain (a memo from anyone who pays us): made printable here, in one place, so that no byte a
// sender chooses can make the ledger refuse a batch.
DepositInput ToDepositInput(const Transfer& t);

}  // namespace instamarket
