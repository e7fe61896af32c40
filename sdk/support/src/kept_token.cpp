#include <relais/support/kept_token.hpp>

#include <relais/support/json.hpp>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

namespace relais::support {

namespace {

// Which client a kept token belongs to, without keeping the secret itself.
std::string owner_of(const OAuth2Config &config) {
    Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
    sha.update(config.token_url + '\n' + config.client_id + '\n' + config.client_secret + '\n' + config.scope);
    return Poco::DigestEngine::digestToHex(sha.digest()).substr(0, 16);
}

int64_t epoch_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::shared_ptr<OAuth2ClientCredentials> kept_token_cache(HttpClient &http, OAuth2Config config,
                                                          std::shared_ptr<StateStore> state, const std::string &key,
                                                          const Host &host) {
    const bool durable = state && state->durable();
    const auto owner = owner_of(config);
    if (durable) {
        auto previous = config.on_token;
        config.on_token = [state, key, owner, previous, host](const std::string &value, const std::string &type,
                                                              std::chrono::system_clock::time_point expires) {
            Json kept = new Poco::JSON::Object;
            kept->set("owner", owner);
            kept->set("access_token", value);
            kept->set("token_type", type);
            kept->set("expires_at_ms", epoch_ms(expires));
            try {
                state->put(key, relais::to_string(kept));
            } catch (const Error &e) {
                host.warn(std::string("the new token could not be kept for the next start: ") + e.what());
            }
            if (previous) previous(value, type, expires);
        };
    }
    auto tokens = std::make_shared<OAuth2ClientCredentials>(http, config);
    if (!durable) return tokens;
    try {
        const auto text = state->get(key);
        if (!text) return tokens;
        const auto kept = parse_json_object(*text, RELAIS_INTERNAL, "the kept token");
        if (string_at(kept, "owner").value_or("") != owner) return tokens;
        const auto expires =
            std::chrono::system_clock::time_point(std::chrono::milliseconds(integer_at(kept, "expires_at_ms").value_or(0)));
        if (tokens->adopt(string_at(kept, "access_token").value_or(""), string_at(kept, "token_type").value_or("Bearer"),
                          expires))
            host.debug("reusing the access token kept from an earlier run");
    } catch (const Error &e) {
        host.warn(std::string("the kept access token could not be read, a new one will be asked for: ") + e.what());
    }
    return tokens;
}

}  // namespace relais::support
