#include "config/settings_store.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace relais::host {
namespace fs = std::filesystem;

namespace {

constexpr const char *kSuffix = ".json";

[[noreturn]] void throw_errno(const std::string &what, const fs::path &path) {
    throw std::system_error(errno, std::generic_category(), what + " " + path.string());
}

void check_name(const std::string &name) {
    if (!SettingsStore::valid_name(name))
        throw std::invalid_argument("invalid connector name \"" + name +
                                    "\": expected a lower-case letter, then up to 31 lower-case letters, digits or _");
}

// Makes a rename or a creation inside `dir` durable: the entry is in the directory's data.
void sync_directory(const fs::path &dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_errno("cannot open directory", dir);
    const int result = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    errno = error;
    if (result != 0) throw_errno("cannot sync directory", dir);
}

// Creates `dir` (0700: the files in it hold secrets) and what is missing above it.
void make_private_directory(const fs::path &dir) {
    std::error_code ec;
    if (fs::is_directory(dir, ec)) return;
    fs::create_directories(dir.parent_path(), ec);
    if (ec) throw std::system_error(ec, "cannot create directory " + dir.parent_path().string());
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw_errno("cannot create directory", dir);
    sync_directory(dir.parent_path());
}

// False with errno set when a write fails.
bool write_all(int fd, const std::string &text) {
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        written += static_cast<std::size_t>(n);
    }
    return true;
}

Poco::JSON::Object::Ptr read_settings(const fs::path &file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read persisted connector settings " + file.string());
    std::ostringstream text;
    text << in.rdbuf();
    try {
        Poco::JSON::Parser parser(new Poco::JSON::ParseHandler(true));
        const auto value = parser.parse(text.str());
        if (value.type() == typeid(Poco::JSON::Object::Ptr)) return value.extract<Poco::JSON::Object::Ptr>();
    } catch (const Poco::Exception &e) {
        throw std::runtime_error("persisted connector settings " + file.string() +
                                 " are not valid JSON: " + e.message());
    }
    throw std::runtime_error("persisted connector settings " + file.string() + " are not a JSON object");
}

}  // namespace

SettingsStore::SettingsStore(fs::path data_dir) : directory_(std::move(data_dir) / "connectors") {}

bool SettingsStore::valid_name(const std::string &name) {
    static const std::regex pattern("[a-z][a-z0-9_]{0,31}");
    return std::regex_match(name, pattern);
}

void SettingsStore::save(const std::string &name, const Poco::JSON::Object::Ptr &settings) const {
    check_name(name);
    if (!settings) throw std::invalid_argument("no settings to save for connector " + name);
    std::ostringstream text;
    Poco::JSON::Stringifier::stringify(settings, text, 2);
    text << "\n";

    make_private_directory(directory_);
    const fs::path target = directory_ / (name + kSuffix);
    // A dot name that does not end in .json: load_all() never mistakes a leftover for settings.
    std::string temp = (directory_ / ("." + name + ".json.tmp-XXXXXX")).string();
    const int fd = ::mkstemp(temp.data());  // created 0600
    if (fd < 0) throw_errno("cannot create a temporary file in", directory_);
    // Closes and removes the temporary file, then throws with the errno of the failure.
    const auto abandon = [fd, &temp](const std::string &what, const fs::path &path, bool close_fd = true) {
        const int error = errno;
        if (close_fd) ::close(fd);
        ::unlink(temp.c_str());
        errno = error;
        throw_errno(what, path);
    };
    // Explicitly, whatever the C library's mkstemp does: the file holds secrets.
    if (::fchmod(fd, 0600) != 0) abandon("cannot set the mode of", temp);
    if (!write_all(fd, text.str())) abandon("cannot write", temp);
    // The data must be on disk before the rename makes it the settings, or a crash could leave
    // an empty file in place of the old one.
    if (::fsync(fd) != 0) abandon("cannot sync", temp);
    if (::close(fd) != 0) abandon("cannot close", temp, false);
    if (::rename(temp.c_str(), target.c_str()) != 0) abandon("cannot rename " + temp + " to", target, false);
    sync_directory(directory_);
}

Poco::JSON::Object::Ptr SettingsStore::load(const std::string &name) const {
    check_name(name);
    const fs::path file = directory_ / (name + kSuffix);
    std::error_code ec;
    if (!fs::exists(file, ec)) return nullptr;
    return read_settings(file);
}

std::map<std::string, Poco::JSON::Object::Ptr> SettingsStore::load_all() const {
    std::map<std::string, Poco::JSON::Object::Ptr> all;
    std::error_code ec;
    if (!fs::is_directory(directory_, ec)) return all;
    for (const auto &entry : fs::directory_iterator(directory_)) {
        const std::string file = entry.path().filename().string();
        const std::string suffix = kSuffix;
        if (file.size() <= suffix.size() || file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        const std::string name = file.substr(0, file.size() - suffix.size());
        if (!valid_name(name) || !entry.is_regular_file()) continue;
        all[name] = read_settings(entry.path());
    }
    return all;
}

std::map<std::string, Poco::JSON::Object::Ptr> effective_sections(
    const std::map<std::string, Poco::JSON::Object::Ptr> &from_config, const SettingsStore &store) {
    auto sections = from_config;
    for (auto &[name, settings] : store.load_all()) sections[name] = settings;
    return sections;
}

}  // namespace relais::host
