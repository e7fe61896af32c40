// Reading the configuration file and the files secrets are referenced from. Both are small, so
// a size limit is applied while reading: a ${file:/dev/zero} must not hang the host.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace relais::host::config {

// The content of a regular file, or why it cannot be had.
struct FileContent {
    std::string text;
    std::string error;  // empty on success
};

// Reads a regular file of at most `limit` bytes; anything else is an error ("not a regular
// file", "larger than N bytes", or the system's reason).
FileContent read_small_file(const std::filesystem::path &path, std::size_t limit);

// The system's text for an errno value.
std::string system_reason(int error);

}  // namespace relais::host::config
