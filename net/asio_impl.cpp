// Asio's and Beast's separately compiled implementations, built once here instead of in every
// file that includes them (see api/CMakeLists.txt).
#include <utility>

#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
