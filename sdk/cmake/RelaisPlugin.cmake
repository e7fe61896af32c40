# relais_add_plugin(<name> VERSION <x.y.z> SOURCES <files...>
#                   [LIBRARIES <targets...>] [OUTPUT_DIRECTORY <dir>] [INSTALL_DESTINATION <dir>]
#                   [FILE_NAME <file name without .so>] [ABI_MIN <n>] [ABI_MAX <n>]
#                   [COMPONENT <install component>])
#
# Builds a Relais connector plugin: a shared module `<name>.so` exporting only the entry
# symbol, and beside it `<name>.manifest.json` (name, version, ABI range, sha256 of the
# library), which the host reads before it loads the library. FILE_NAME gives the files
# another name, e.g. `chorus-1.2.0` so that two versions can sit side by side. COMPONENT puts
# the installed files in that install component (a package of their own with CPack).
#
# The plugin's code sees RELAIS_PLUGIN_NAME and RELAIS_PLUGIN_VERSION, so the version is
# written in one place: here.

set(_RELAIS_SDK_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}" CACHE INTERNAL "Where RelaisManifest.cmake lives")

function(relais_add_plugin name)
    cmake_parse_arguments(PARSE_ARGV 1 ARG "" "VERSION;OUTPUT_DIRECTORY;INSTALL_DESTINATION;ABI_MIN;ABI_MAX;FILE_NAME;COMPONENT"
                          "SOURCES;LIBRARIES")
    if(NOT name MATCHES "^[a-z][a-z0-9_]*$" OR name MATCHES "^.{33,}$")
        message(FATAL_ERROR "relais_add_plugin: name '${name}' must match [a-z][a-z0-9_]{0,31}")
    endif()
    if(NOT ARG_VERSION MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$")
        message(FATAL_ERROR "relais_add_plugin(${name}): VERSION '${ARG_VERSION}' is not a semantic version")
    endif()
    if(NOT ARG_SOURCES)
        message(FATAL_ERROR "relais_add_plugin(${name}): SOURCES is required")
    endif()
    if(NOT ARG_ABI_MIN)
        set(ARG_ABI_MIN 1)
    endif()
    if(NOT ARG_ABI_MAX)
        set(ARG_ABI_MAX 1)
    endif()

    if(NOT ARG_FILE_NAME)
        set(ARG_FILE_NAME "${name}")
    endif()
    string(MAKE_C_IDENTIFIER "relais_plugin_${ARG_FILE_NAME}" target)
    add_library(${target} MODULE ${ARG_SOURCES})
    target_link_libraries(${target} PRIVATE RelaisSDK::headers ${ARG_LIBRARIES})
    target_compile_definitions(${target} PRIVATE
        RELAIS_PLUGIN_NAME="${name}" RELAIS_PLUGIN_VERSION="${ARG_VERSION}")
    set_target_properties(${target} PROPERTIES
        PREFIX "" SUFFIX ".so" OUTPUT_NAME "${ARG_FILE_NAME}"
        CXX_VISIBILITY_PRESET hidden C_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
    # Every symbol must resolve at link time: a plugin that would fail at load is caught here.
    target_link_options(${target} PRIVATE "LINKER:--no-undefined"
        "LINKER:--version-script=${_RELAIS_SDK_CMAKE_DIR}/relais_plugin.map")
    if(ARG_OUTPUT_DIRECTORY)
        set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${ARG_OUTPUT_DIRECTORY}")
    endif()

    add_custom_command(TARGET ${target} POST_BUILD
        COMMAND ${CMAKE_COMMAND}
            -DLIBRARY=$<TARGET_FILE:${target}>
            -DMANIFEST=$<TARGET_FILE_DIR:${target}>/${ARG_FILE_NAME}.manifest.json
            -DNAME=${name} -DVERSION=${ARG_VERSION}
            -DABI_MIN=${ARG_ABI_MIN} -DABI_MAX=${ARG_ABI_MAX}
            -P "${_RELAIS_SDK_CMAKE_DIR}/RelaisManifest.cmake"
        COMMENT "Writing manifest of plugin ${name} ${ARG_VERSION}"
        VERBATIM)

    if(ARG_INSTALL_DESTINATION)
        set(component)
        if(ARG_COMPONENT)
            set(component COMPONENT "${ARG_COMPONENT}")
        endif()
        install(TARGETS ${target} LIBRARY DESTINATION "${ARG_INSTALL_DESTINATION}" ${component})
        # The manifest is written again from the installed library: an install that strips it
        # (cmake --install --strip, CPack's CPACK_STRIP_FILES) changes its sha256.
        if(IS_ABSOLUTE "${ARG_INSTALL_DESTINATION}")
            set(installed_dir "\$ENV{DESTDIR}${ARG_INSTALL_DESTINATION}")
        else()
            set(installed_dir "\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${ARG_INSTALL_DESTINATION}")
        endif()
        install(CODE "
            set(LIBRARY \"${installed_dir}/${ARG_FILE_NAME}.so\")
            set(MANIFEST \"${installed_dir}/${ARG_FILE_NAME}.manifest.json\")
            set(NAME ${name})
            set(VERSION ${ARG_VERSION})
            set(ABI_MIN ${ARG_ABI_MIN})
            set(ABI_MAX ${ARG_ABI_MAX})
            message(STATUS \"Writing manifest: \${MANIFEST}\")
            include(\"${_RELAIS_SDK_CMAKE_DIR}/RelaisManifest.cmake\")
            list(APPEND CMAKE_INSTALL_MANIFEST_FILES \"\${MANIFEST}\")
            " ${component})
    endif()
endfunction()
