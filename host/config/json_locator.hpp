// Poco's parser builds the document but says neither where a syntax error is nor that a key
// appeared twice in one object (the last one silently wins). JsonLocator walks the text with the
// JSON grammar to say both, by line, column and key path. It only ever adds detail: Poco decides
// whether the text is JSON.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relais::host::config {

class JsonLocator {
public:
    struct Place {
        std::size_t line = 0, column = 0;  // from 1; columns count characters, not bytes
        std::string path;                  // key path of the enclosing value
        std::string what;
    };

    // Walks `text`, which must outlive the constructor only.
    explicit JsonLocator(std::string_view text);

    const std::optional<Place> &syntax_error() const { return error_; }
    // Keys seen a second time in the same object. Keys are compared as written, so "\u0061"
    // and "a" are not recognised as the same key.
    const std::vector<Place> &repeated_keys() const { return repeated_; }

private:
    struct Stop {};

    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    bool at_end() const { return pos_ >= text_.size(); }

    Place place(std::size_t offset, std::string path, std::string what) const;
    std::string found() const;
    [[noreturn]] void fail(const std::string &path, const std::string &expected);
    void skip_space();
    void value(const std::string &path, int depth);
    void object(const std::string &path, int depth);
    void array(const std::string &path, int depth);
    std::string string(const std::string &path);
    void utf8_sequence(const std::string &path);
    void digits(const std::string &path);
    void number(const std::string &path);
    void literal(const std::string &path, std::string_view word);

    std::string_view text_;
    std::size_t pos_ = 0;
    std::optional<Place> error_;
    std::vector<Place> repeated_;
};

}  // namespace relais::host::config
