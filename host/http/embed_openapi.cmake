# Script mode: compiles openapi.json into the binary as a C++ string.
file(READ "${INPUT}" content)
file(WRITE "${OUTPUT}" "// Generated from host/http/openapi.json by embed_openapi.cmake; edit the JSON.
#include \"http/api_routes.hpp\"

const std::string &relais::host::http::openapi_document() {
    static const std::string document = R\"openapi(${content})openapi\";
    return document;
}
")
