# Script mode: writes the manifest of a built plugin library.
# Inputs: LIBRARY, MANIFEST, NAME, VERSION, ABI_MIN, ABI_MAX.
foreach(var LIBRARY MANIFEST NAME VERSION ABI_MIN ABI_MAX)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "RelaisManifest.cmake: ${var} is not set")
    endif()
endforeach()
file(SHA256 "${LIBRARY}" digest)
get_filename_component(library_file "${LIBRARY}" NAME)
file(WRITE "${MANIFEST}" "{
  \"name\": \"${NAME}\",
  \"version\": \"${VERSION}\",
  \"abi\": {\"min\": ${ABI_MIN}, \"max\": ${ABI_MAX}},
  \"library\": \"${library_file}\",
  \"sha256\": \"${digest}\"
}
")
