#include "config/config_report.hpp"

#include "config/host_config.hpp"

namespace relais::host::config {

void Report::add(const std::string &path, const std::string &text) {
    std::string line = label_ + ": " + (path.empty() ? "" : path + ": ") + text;
    if (const std::string *variable = override_of(path)) line += " (set by " + *variable + ")";
    lines_.push_back(std::move(line));
}

void Report::add_at(std::size_t line, std::size_t column, const std::string &path, const std::string &text) {
    lines_.push_back(label_ + ": line " + std::to_string(line) + ", column " + std::to_string(column) + ": " +
                     (path.empty() ? "" : path + ": ") + text);
}

void Report::set_by(const std::string &path, const std::string &variable) { overrides_[path] = variable; }

void Report::fail(const std::vector<std::string> &secrets, bool file_unreadable) const {
    std::vector<std::string> lines;
    // Values from references are never rendered on purpose; this catches any that slip
    // through a message anyway (a reference used for a non-secret key, for example).
    for (const auto &line : lines_) lines.push_back(redact(line, secrets));
    throw ConfigError(std::move(lines), file_unreadable);
}

const std::string *Report::override_of(const std::string &path) const {
    const std::string *closest = nullptr;
    std::size_t closest_length = 0;
    for (const auto &[set, variable] : overrides_) {
        const bool below = path.size() > set.size() && path.compare(0, set.size(), set) == 0 &&
                           (path[set.size()] == '.' || path[set.size()] == '[');
        if ((path == set || below) && (!closest || set.size() > closest_length)) {
            closest = &variable;
            closest_length = set.size();
        }
    }
    return closest;
}

std::string quoted(const std::string &text) { return "\"" + text + "\""; }

std::string join_lines(const std::vector<std::string> &lines) {
    std::string out;
    for (const auto &line : lines) out += (out.empty() ? "" : "\n") + line;
    return out;
}

}  // namespace relais::host::config
