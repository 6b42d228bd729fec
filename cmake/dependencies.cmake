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
# Wallet signatures (core/wallet_signature.cpp): libsecp256k1 for EVM and Tron key recovery,
# Crypto++ for Keccak-256 (OpenSSL 3.0 has none); each is included by one file of core/.
pkg_check_modules(SECP256K1 REQUIRED IMPORTED_TARGET libsecp256k1)
pkg_check_modules(CRYPTOPP REQUIRED IMPORTED_TARGET libcrypto++)
