# Script mode: what a third-party developer does with the SDK, end to end.
#   1. install the Relais build into a private prefix;
#   2. configure and build sdk/template outside the Relais tree with find_package(RelaisSDK);
#   3. point the installed relais at the result and check that it loads and runs.
foreach(var SOURCE_DIR BUILD_DIR WORK_DIR RELAIS GENERATOR)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "out_of_tree_build.cmake: ${var} is not set")
    endif()
endforeach()

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
    endif()
    set(LAST_OUTPUT "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")

# A copy of the template, as a developer would start from it.
file(COPY "${prefix}/share/relais/sdk-template/" DESTINATION "${WORK_DIR}/hello")
run(${CMAKE_COMMAND} -S "${WORK_DIR}/hello" -B "${WORK_DIR}/hello-build" -G "${GENERATOR}"
    -DCMAKE_PREFIX_PATH=${prefix} "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_MODULE_LINKER_FLAGS=${CXX_FLAGS}")
run(${CMAKE_COMMAND} --build "${WORK_DIR}/hello-build")

set(plugins "${WORK_DIR}/plugins")
file(MAKE_DIRECTORY "${plugins}")
file(COPY "${WORK_DIR}/hello-build/hello.so" "${WORK_DIR}/hello-build/hello.manifest.json" DESTINATION "${plugins}")

# The installed relais finds its own plugins; the template goes in a directory of its own.
set(installed_relais "${prefix}/bin/relais")
run("${installed_relais}" plugins list)
if(NOT LAST_OUTPUT MATCHES "diagnostics")
    message(FATAL_ERROR "the installed relais does not find its installed plugins:\n${LAST_OUTPUT}")
endif()
run("${installed_relais}" --plugin-dir "${plugins}" plugins list)
if(NOT LAST_OUTPUT MATCHES "hello +1\\.0\\.0")
    message(FATAL_ERROR "the template plugin is not listed:\n${LAST_OUTPUT}")
endif()
run("${installed_relais}" --plugin-dir "${plugins}" exec hello greet --input "{\"name\":\"Relais\"}")
if(NOT LAST_OUTPUT MATCHES "\"message\":\"Hello, Relais!\"")
    message(FATAL_ERROR "the template plugin's action did not run:\n${LAST_OUTPUT}")
endif()
message(STATUS "template plugin built out of tree, loaded and executed")
