#include <relais/support/company_ids.hpp>

#include <relais/plugin.hpp>

#include <cctype>

namespace relais::support {

namespace {

constexpr std::string_view kLaPosteSiren = "356000000";
constexpr std::string_view kLaPosteHeadOffice = "35600000000048";

// Removes spaces: ASCII blanks, U+00A0 (no-break space) and U+202F (narrow no-break space),
// which French number formatting uses between digit groups.
std::string without_spaces(std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        const auto c = static_cast<unsigned char>(in[i]);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
        if (c == 0xC2 && i + 1 < in.size() && static_cast<unsigned char>(in[i + 1]) == 0xA0) {
            ++i;
            continue;
        }
        if (c == 0xE2 && i + 2 < in.size() && static_cast<unsigned char>(in[i + 1]) == 0x80 &&
            static_cast<unsigned char>(in[i + 2]) == 0xAF) {
            i += 2;
            continue;
        }
        out += static_cast<char>(c);
    }
    return out;
}

// The first character that is not a digit, as it appeared (a UTF-8 sequence stays whole).
std::string first_non_digit(const std::string &s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= '0' && c <= '9') continue;
        std::size_t len = 1;
        if (c >= 0xF0) len = 4;
        else if (c >= 0xE0) len = 3;
        else if (c >= 0xC0) len = 2;
        return s.substr(i, len);
    }
    return {};
}

int digit_sum(std::string_view digits) {
    int sum = 0;
    for (char c : digits) sum += c - '0';
    return sum;
}

IdentifierProblem problem(std::string reason, std::string message) { return {std::move(reason), std::move(message)}; }

}  // namespace

bool luhn_valid(std::string_view digits) {
    if (digits.empty()) return false;
    int sum = 0;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        const char c = digits[digits.size() - 1 - i];
        if (c < '0' || c > '9') return false;
        int v = c - '0';
        if (i % 2 == 1) {
            v *= 2;
            if (v > 9) v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

bool is_la_poste_siret(std::string_view siret) {
    return siret.size() == 14 && siret.substr(0, 9) == kLaPosteSiren && siret != kLaPosteHeadOffice;
}

Parsed parse_identifier(std::string_view input) {
    Parsed out;
    const auto digits = without_spaces(input);
    const std::string shown(input);
    if (digits.empty()) {
        out.problem = problem("empty", "the identifier is empty: give a SIRET (14 digits) or a SIREN (9 digits)");
        return out;
    }
    if (const auto bad = first_non_digit(digits); !bad.empty()) {
        out.problem = problem("characters", "'" + shown + "' contains '" + bad +
                                                "', which is not a digit: a SIRET has 14 digits, a SIREN 9 (spaces are allowed)");
        return out;
    }
    if (digits.size() != 9 && digits.size() != 14) {
        out.problem = problem("length", "'" + shown + "' has " + std::to_string(digits.size()) +
                                            " digits: a SIRET has 14, a SIREN 9");
        return out;
    }
    Identifier id{digits.size() == 14 ? IdKind::siret : IdKind::siren, digits};
    if (id.kind == IdKind::siret && is_la_poste_siret(digits)) {
        // La Poste's establishments are numbered by their own rule, not Luhn.
        if (digit_sum(digits) % 5 != 0) {
            out.problem = problem("la_poste_digit_sum",
                                  "SIRET " + digits + " is not valid: La Poste's SIRETs (SIREN 356000000) have a digit sum "
                                  "that is a multiple of 5, and this one's is " + std::to_string(digit_sum(digits)) +
                                  "; check for a typo");
            return out;
        }
    } else if (!luhn_valid(digits)) {
        std::string message = std::string(id.kind == IdKind::siret ? "SIRET " : "SIREN ") + digits +
                              " is not valid: its check digit does not match (Luhn); check for a typo";
        if (id.kind == IdKind::siret && !luhn_valid(id.siren()))
            message += " (its SIREN part " + id.siren() + " is not valid either)";
        out.problem = problem("luhn", message);
        return out;
    }
    out.id = id;
    return out;
}

std::optional<std::string> parse_french_vat(std::string_view input) {
    auto text = without_spaces(input);
    std::string compact;
    for (char c : text)
        if (c != '.' && c != '-') compact += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (compact.size() != 13 || compact.compare(0, 2, "FR") != 0) return std::nullopt;
    const auto key = compact.substr(2, 2);
    const auto siren = compact.substr(4);
    if (!first_non_digit(siren).empty() || !luhn_valid(siren)) return std::nullopt;
    for (char c : key)
        if (!std::isalnum(static_cast<unsigned char>(c))) return std::nullopt;
    if (first_non_digit(key).empty()) {
        const auto expected = (12 + 3 * (std::stoll(siren) % 97)) % 97;
        if (std::stoi(key) != expected) return std::nullopt;
    }
    return compact;
}

std::string siren_of_vat(const std::string &canonical_vat) { return canonical_vat.substr(4); }

Identifier require_identifier(std::string_view input) {
    auto parsed = parse_identifier(input);
    if (parsed.id) return *parsed.id;
    Json detail = new Poco::JSON::Object;
    detail->set("input", std::string(input));
    detail->set("reason", parsed.problem->reason);
    throw invalid_input(parsed.problem->message, detail);
}

}  // namespace relais::support
