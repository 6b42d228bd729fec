# Writes a C++ file holding every ledger/migrations/NNNN_name.sql, so the binary carries its
# schema and `migrate` needs no files beside it. Run at build time by ledger/CMakeLists.txt.
file(GLOB files "${MIGRATIONS_DIR}/*.sql")
list(SORT files)
set(body "")
foreach(path IN LISTS files)
  get_filename_component(file_name "${path}" NAME_WE)
  string(REGEX MATCH "^([0-9]+)_(.*)$" _ "${file_name}")
  set(version "${CMAKE_MATCH_1}")
  set(name "${CMAKE_MATCH_2}")
  math(EXPR version "${version} + 0")
  file(READ "${path}" sql)
  string(APPEND body "    {${version}, \"${name}\", R\"migration_sql(${sql})migration_sql\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ledger/migrations/*.sql by ledger/embed_migrations.cmake. Do not edit.\n"
  "#include \"ledger/migrator.h\"\n\nnamespace instamarket {\n\n"
  "const std::vector<Migration>& BuiltinMigrations() {\n"
  "  static const std::vector<Migration> kMigrations = {\n${body}  };\n"
  "  return kMigrations;\n}\n\n}  // namespace instamarket\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
