// The problems found in a configuration, collected rather than thrown one at a time so that a
// user fixes them all in one pass. Each line names the file and the key path, and the
// environment variable that set that key (or a key above it) when there is one:
//   relais.json: host.listen.port: expected integer <= 65535, found 70000 (set by RELAIS__HOST__LISTEN__PORT)
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace relais::host::config {

class Report {
public:
    // `label` starts every line: the file, or what stands for it ("(no configuration file)").
    explicit Report(std::string label) : label_(std::move(label)) {}

    void add(const std::string &path, const std::string &text);

    // A problem placed by position in the text rather than by key.
    void add_at(std::size_t line, std::size_t column, const std::string &path, const std::string &text);

    // Remembers that environment variable `variable` set the key at `path`.
    void set_by(const std::string &path, const std::string &variable);

    bool empty() const { return lines_.empty(); }
    const std::string &label() const { return label_; }

    // Throws ConfigError with every line, each of the `secrets` replaced as the logs do.
    [[noreturn]] void fail(const std::vector<std::string> &secrets, bool file_unreadable = false) const;

private:
    // The variable that set `path` or the closest key above it; null when none did.
    const std::string *override_of(const std::string &path) const;

    std::string label_;
    std::vector<std::string> lines_;
    std::map<std::string, std::string> overrides_;  // key path -> variable
};

// "text" in double quotes, as messages show the values they may show.
std::string quoted(const std::string &text);

// The lines joined by line breaks.
std::string join_lines(const std::vector<std::string> &lines);

}  // namespace relais::host::config
