// relais/support/file_input.hpp: a file an action's caller hands over, either inline as base64
// (`file_base64`) or as a path (`file_path`) under a directory the operator configured, so an
// API client can never make the host read, and send away, a file of its choosing.
//
// A path must be relative, have no ".." segment and, once its symbolic links are resolved,
// still lie inside the directory (a link pointing out of it is refused); it must name a regular
// file. The size cap is checked before anything large is read or decoded: the file's size
// before it is read, the base64 text's length before it is decoded, and the decoded size after.
#pragma once

#include <relais/plugin.hpp>
#include <relais/support/media_type.hpp>

#include <cstddef>
#include <filesystem>
#include <string>

namespace relais::support {

struct FileInputOptions {
    // The input's keys, for connectors whose schema names them otherwise.
    std::string base64_field = "file_base64";
    std::string path_field = "file_path";
    std::string name_field = "file_name";  // optional in the input; "" to not read one
    // Where file_path may point; empty when the operator configured none.
    std::filesystem::path directory;
    // The setting `directory` comes from, named when file_path is used without it.
    std::string directory_setting = "file_directory";
    std::size_t max_bytes = 10u << 20;
    bool allow_empty = false;
};

struct FileInput {
    std::string bytes;
    // From the name field, else the path's last segment, else "" (the caller picks one).
    std::string name;
    std::string sha256;     // lowercase hex, of bytes
    MediaType media_type;   // detected from the first bytes
    std::string field;      // the key it came from (base64_field or path_field)
};

// Reads exactly one of the two fields of `input`. Throws relais::Error: invalid_input naming
// the field at fault, invalid_config naming options.directory_setting when the path field is
// used but no directory is configured (or the configured one is not a directory).
FileInput read_file_input(const Json &input, const FileInputOptions &options);

// The two halves on their own, for a connector that takes only one form. `field` is the name
// errors give the value.
std::string decode_base64_input(const std::string &text, const std::string &field, std::size_t max_bytes);
std::string read_confined_file(const std::string &relative_path, const std::string &field,
                               const std::filesystem::path &directory, const std::string &directory_setting,
                               std::size_t max_bytes);

// "10 MB", "1536 bytes": a size for messages.
std::string describe_size(std::size_t bytes);

}  // namespace relais::support
