#include <relais/support/file_input.hpp>

#include <relais/support/bytes.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace relais::support {

namespace {

// The string member `key`; nullopt when absent or null; invalid_input when not a string.
std::optional<std::string> text_member(const Json &input, const std::string &key) {
    if (key.empty() || !input || !input->has(key) || input->isNull(key)) return std::nullopt;
    const auto v = input->get(key);
    if (!v.isString()) throw invalid_input(key + " must be a string");
    return v.extract<std::string>();
}

bool has_control_character(const std::string &text) {
    return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

Error too_big(const std::string &field, std::size_t size, std::size_t max_bytes) {
    return invalid_input(field + ": the file is " + describe_size(size) + ", more than the " + describe_size(max_bytes) +
                         " accepted");
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

std::string checked_name(const std::string &name, const std::string &field) {
    if (name.size() > 255) throw invalid_input(field + " is longer than 255 bytes");
    if (has_control_character(name)) throw invalid_input(field + " holds a control character");
    if (name.find('/') != std::string::npos || name.find('\\') != std::string::npos || name == "." || name == "..")
        throw invalid_input(field + " " + name + " must be a file name, not a path");
    return name;
}

}  // namespace

std::string describe_size(std::size_t bytes) {
    constexpr std::size_t mb = 1u << 20;
    constexpr std::size_t kb = 1u << 10;
    if (bytes >= mb && bytes % mb == 0) return std::to_string(bytes / mb) + " MB";
    if (bytes >= kb && bytes % kb == 0) return std::to_string(bytes / kb) + " KB";
    return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
}

std::string decode_base64_input(const std::string &text, const std::string &field, std::size_t max_bytes) {
    // Generous for line breaks (one CRLF every 76 characters adds under 3%), and checked before
    // any decoding, so that an oversized text is refused at no cost.
    if (text.size() > 2 * base64_encoded_size(max_bytes) + 4)
        throw invalid_input(field + " is " + std::to_string(text.size()) + " characters long: more than a file of " +
                            describe_size(max_bytes) + " (the most accepted) needs");
    std::string bytes;
    try {
        bytes = base64_decode(text);
    } catch (const Base64Error &e) {
        throw invalid_input(field + " is not valid base64: " + e.what());
    }
    if (bytes.size() > max_bytes) throw too_big(field, bytes.size(), max_bytes);
    return bytes;
}

std::string read_confined_file(const std::string &relative_path, const std::string &field,
                               const std::filesystem::path &directory, const std::string &directory_setting,
                               std::size_t max_bytes) {
    namespace fs = std::filesystem;
    if (directory.empty())
        throw invalid_config(field + " needs the " + directory_setting +
                             " setting (the directory files may be read from), which is not set");
    if (relative_path.empty()) throw invalid_input(field + " is empty");
    if (has_control_character(relative_path)) throw invalid_input(field + " holds a control character");
    const fs::path path(relative_path);
    if (path.has_root_directory() || path.has_root_name())
        throw invalid_input(field + " " + relative_path + " must be relative to the " + directory_setting + " directory");
    for (const auto &segment : path)
        if (segment == "..")
            throw invalid_input(field + " " + relative_path + " is outside " + directory_setting +
                                ": it has a '..' segment");

    std::error_code ec;
    const auto root = fs::canonical(directory, ec);
    if (ec || !fs::is_directory(root, ec))
        throw invalid_config(directory_setting + " " + directory.string() + " is not a directory that can be read" +
                             (ec ? " (" + ec.message() + ")" : std::string()));
    const auto target = fs::canonical(root / path, ec);
    if (ec) throw invalid_input(field + " " + relative_path + " cannot be read in " + directory_setting + ": " + ec.message());
    // A symbolic link inside the directory may point anywhere; what counts is where it leads.
    if (std::mismatch(root.begin(), root.end(), target.begin(), target.end()).first != root.end())
        throw invalid_input(field + " " + relative_path + " is outside " + directory_setting +
                            ": a symbolic link leads out of it");

    // The resolved path has no link left: O_NOFOLLOW refuses one put there since. O_NONBLOCK
    // keeps a FIFO from blocking the open; fstat then refuses it like any non-regular file.
    const Fd fd(::open(target.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (fd.get() < 0)
        throw invalid_input(field + " " + relative_path + " cannot be opened: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
        throw invalid_input(field + " " + relative_path + " cannot be read: " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw invalid_input(field + " " + relative_path + " is not a regular file");
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size > max_bytes) throw too_big(field, size, max_bytes);

    // Read up to one byte past the cap: a file that grew since fstat is refused, not cut.
    std::string bytes(size + 1, '\0');
    std::size_t filled = 0;
    while (filled < bytes.size()) {
        const auto n = ::read(fd.get(), bytes.data() + filled, bytes.size() - filled);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw invalid_input(field + " " + relative_path + " cannot be read: " + std::strerror(errno));
        if (n == 0) break;
        filled += static_cast<std::size_t>(n);
        if (filled > max_bytes) throw too_big(field, filled, max_bytes);
        if (filled == bytes.size()) bytes.resize(std::min(bytes.size() * 2, max_bytes + 1));
    }
    bytes.resize(filled);
    return bytes;
}

FileInput read_file_input(const Json &input, const FileInputOptions &options) {
    const auto inline_text = text_member(input, options.base64_field);
    const auto path = text_member(input, options.path_field);
    if (inline_text.has_value() == path.has_value())
        throw invalid_input("give the file as exactly one of " + options.base64_field + " or " + options.path_field);

    FileInput file;
    if (inline_text) {
        file.field = options.base64_field;
        file.bytes = decode_base64_input(*inline_text, file.field, options.max_bytes);
    } else {
        file.field = options.path_field;
        if (options.directory.empty())
            throw invalid_config(file.field + " needs the " + options.directory_setting +
                                 " setting (the directory files may be read from), which is not set; send the file as " +
                                 options.base64_field + " instead");
        file.bytes = read_confined_file(*path, file.field, options.directory, options.directory_setting, options.max_bytes);
    }
    if (file.bytes.empty() && !options.allow_empty) throw invalid_input(file.field + ": the file is empty");

    if (const auto name = text_member(input, options.name_field); name && !name->empty())
        file.name = checked_name(*name, options.name_field);
    else if (path)
        file.name = std::filesystem::path(*path).filename().string();
    file.sha256 = sha256_hex(file.bytes);
    file.media_type = detect_media_type(file.bytes);
    return file;
}

}  // namespace relais::support
