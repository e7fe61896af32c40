# Script mode: compiles every file under a directory into the binary as bytes, with a table
# from its relative path to its content, so the host serves them with no file at run time.
#   cmake -DINPUT_DIR=console -DOUTPUT=console_files.cpp -DHEADER=console/console_assets.hpp
#         -DFUNCTION=relais::host::console::embedded_files -P embed_files.cmake
# OUTPUT defines `const std::vector<EmbeddedFile> &FUNCTION()`, declared in HEADER.
foreach(variable INPUT_DIR OUTPUT HEADER FUNCTION)
    if(NOT DEFINED ${variable})
        message(FATAL_ERROR "embed_files.cmake: ${variable} is not set")
    endif()
endforeach()
file(GLOB_RECURSE files RELATIVE "${INPUT_DIR}" "${INPUT_DIR}/*")
list(SORT files)
set(arrays "")
set(table "")
set(index 0)
foreach(relative IN LISTS files)
    # Editor leftovers and test folders are not part of the page.
    if(relative MATCHES "(^|/)\\.|~$|(^|/)node_modules/")
        continue()
    endif()
    file(READ "${INPUT_DIR}/${relative}" hex HEX)
    string(LENGTH "${hex}" hex_length)
    math(EXPR size "${hex_length} / 2")
    string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
    string(APPEND arrays "static const unsigned char file_${index}[] = {${bytes}0x00};\n")
    string(APPEND table "        {\"${relative}\", std::string_view(reinterpret_cast<const char *>(file_${index}), ${size})},\n")
    math(EXPR index "${index} + 1")
endforeach()
file(WRITE "${OUTPUT}.new" "// Generated from the files under ${INPUT_DIR} by embed_files.cmake; edit those files.
#include \"${HEADER}\"

namespace {
${arrays}}  // namespace

const std::vector<relais::host::console::EmbeddedFile> &${FUNCTION}() {
    static const std::vector<relais::host::console::EmbeddedFile> files = {
${table}    };
    return files;
}
")
# Rewritten only when changed, so an unchanged console does not relink the host.
file(COPY_FILE "${OUTPUT}.new" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.new")
