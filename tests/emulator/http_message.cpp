#include "http_message.hpp"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/URI.h>

#include <sstream>

namespace relais::emulator {

namespace {

std::optional<std::string> find(const Fields &fields, const std::string &name) {
    for (const auto &[n, v] : fields)
        if (n == name) return v;
    return std::nullopt;
}

std::string decode_component(std::string text) {
    for (auto &c : text)
        if (c == '+') c = ' ';
    std::string decoded;
    Poco::URI::decode(text, decoded);
    return decoded;
}

}  // namespace

Fields decode_form(const std::string &text) {
    Fields fields;
    std::size_t start = 0;
    while (start <= text.size()) {
        auto end = text.find('&', start);
        if (end == std::string::npos) end = text.size();
        const auto pair = text.substr(start, end - start);
        if (!pair.empty()) {
            const auto eq = pair.find('=');
            fields.emplace_back(decode_component(pair.substr(0, eq)),
                                eq == std::string::npos ? "" : decode_component(pair.substr(eq + 1)));
        }
        start = end + 1;
    }
    return fields;
}

std::optional<std::string> Request::query_param(const std::string &name) const { return find(query_params, name); }

std::optional<std::string> Request::form_param(const std::string &name) const { return find(form, name); }

std::optional<std::string> Request::header(const std::string &name) const {
    if (!headers.has(name)) return std::nullopt;
    return headers.get(name);
}

Poco::JSON::Object::Ptr Request::json() const {
    try {
        auto object = Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
        if (object) return object;
    } catch (const Poco::Exception &e) {
        throw HttpError(error_response(400, "invalid_json", "the body is not valid JSON: " + e.displayText()));
    }
    throw HttpError(error_response(400, "invalid_json", "the body is not a JSON object"));
}

MultipartForm Request::multipart(const MultipartLimits &limits) const {
    const auto type = header("Content-Type");
    if (!type) throw HttpError(error_response(400, "invalid_multipart", "the request has no Content-Type"));
    return parse_multipart(*type, body, limits);
}

Response Response::json(int status, const Poco::JSON::Object::Ptr &body) {
    std::ostringstream text;
    body->stringify(text);
    return json(status, text.str());
}

Response Response::json(int status, std::string body) {
    Response r{status, {}, std::move(body)};
    r.header("Content-Type", "application/json");
    return r;
}

Response Response::xml(int status, std::string body) {
    Response r{status, {}, std::move(body)};
    r.header("Content-Type", "application/xml");
    return r;
}

Response Response::text(int status, std::string body) {
    Response r{status, {}, std::move(body)};
    r.header("Content-Type", "text/plain; charset=utf-8");
    return r;
}

Response &Response::header(const std::string &name, const std::string &value) {
    headers.add(name, value);
    return *this;
}

HttpError::HttpError(Response response)
    : std::runtime_error("HTTP " + std::to_string(response.status) + ": " + response.body),
      response_(std::move(response)) {}

Response error_response(int status, const std::string &code, const std::string &message) {
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object;
    body->set("error", code);
    body->set("message", message);
    return Response::json(status, body);
}

}  // namespace relais::emulator
