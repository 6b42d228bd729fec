# Every dependency is a Debian 12 package; see docs/decisions.md for why each one.
find_package(Threads REQUIRED)
# Boost 1.74 (Debian's default): Asio and Beast are header-only there; Beast is compiled once
# in api/beast_impl.cpp (BOOST_BEAST_SEPARATE_COMPILATION).
find_package(Boost 1.74 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(spdlog REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(PQXX REQUIRED IMPORTED_TARGET libpqxx)
pkg_check_modules(PQ REQUIRED IMPORTED_TARGET libpq)
# secp256k1 public key recovery for EVM wallet signatures (claims, core/wallet_signature.cpp).
pkg_check_modules(SECP256K1 REQUIRED IMPORTED_TARGET libsecp256k1)
