# Script mode: compiles a text file (a JSON document) into the binary as a C++ string, so that
# it is edited as what it is and still needs no file at run time.
#   cmake -DINPUT=doc.json -DOUTPUT=doc.cpp -DSOURCE_NAME=host/x/doc.json -DHEADER=x/doc.hpp
#         -DFUNCTION=relais::host::doc_text -P embed_text.cmake
# OUTPUT defines `const std::string &FUNCTION()`, declared in HEADER.
foreach(variable INPUT OUTPUT SOURCE_NAME HEADER FUNCTION)
    if(NOT DEFINED ${variable})
        message(FATAL_ERROR "embed_text.cmake: ${variable} is not set")
    endif()
endforeach()
file(READ "${INPUT}" content)
# The text goes into a raw string literal: it must not contain the literal's closing sequence.
string(FIND "${content}" ")embedded\"" closing)
if(NOT closing EQUAL -1)
    message(FATAL_ERROR "embed_text.cmake: ${SOURCE_NAME} contains )embedded\" and cannot be embedded")
endif()
file(WRITE "${OUTPUT}" "// Generated from ${SOURCE_NAME} by embed_text.cmake; edit that file.
#include \"${HEADER}\"

const std::string &${FUNCTION}() {
    static const std::string text = R\"embedded(${content})embedded\";
    return text;
}
")
