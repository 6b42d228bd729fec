# Writes a C++ file whose function FUNCTION() returns the text of INPUT, so the binary carries
# the file (the OpenAPI document). Run at build time by api/CMakeLists.txt.
file(READ "${INPUT}" text)
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by api/embed_text.cmake. Do not edit.\n"
  "#include <string_view>\n\nnamespace instamarket {\n\n"
  "std::string_view ${FUNCTION}() {\n"
  "  static constexpr char kText[] = R\"embedded_text(${text})embedded_text\";\n"
  "  return {kText, sizeof kText - 1};\n}\n\n}  // namespace instamarket\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
