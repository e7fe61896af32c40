// A connector whose one action sends one GET to an upstream URL, after taking one unit of its
// "requests" quota through the host (take_quota): the service's quota tests count what the
// upstream receives. Its window comes from its settings, through configure's quota_windows.
#include <relais/plugin.hpp>
#include <relais/support/http_client.hpp>

#include <memory>

class UpstreamCaller {
public:
    static relais::Definition<UpstreamCaller> definition() {
        return relais::Definition<UpstreamCaller>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION,
                                                  "Sends one GET upstream per call, within its quota window")
            .settings_schema(R"({
              "type": "object",
              "properties": {
                "upstream_url": {"type": "string", "description": "The URL each call sends its GET to"},
                "requests_per_window": {"type": "integer", "minimum": 1, "default": 5,
                                        "description": "Requests allowed in any window"},
                "window_seconds": {"type": "number", "minimum": 0.001, "default": 1,
                                   "description": "Length of the window"}
              },
              "required": ["upstream_url"],
              "additionalProperties": false
            })")
            .action("ping", "Takes one unit of quota, then sends one GET upstream", R"({"type":"object"})",
                    &UpstreamCaller::ping)
            .quota_per_request();
    }
    explicit UpstreamCaller(relais::Host) {}

    relais::Json configure(const relais::Json &settings) {
        url_ = settings->getValue<std::string>("upstream_url");
        relais::Json window = new Poco::JSON::Object;
        window->set("scope", "requests");
        window->set("count", settings->optValue<int64_t>("requests_per_window", 5));
        window->set("window_seconds", settings->optValue<double>("window_seconds", 1));
        Poco::JSON::Array::Ptr windows = new Poco::JSON::Array;
        windows->add(window);
        relais::Json policy = new Poco::JSON::Object;
        policy->set("quota_windows", windows);
        return policy;
    }

    relais::Json ping(const relais::Json &, relais::Call &call) {
        call.take_quota("requests", "", 1, std::chrono::seconds(30));
        relais::support::HttpRequest request;
        request.url = url_;
        const auto answer = http_.send(request);
        relais::Json out = new Poco::JSON::Object;
        out->set("status", answer.status);
        return out;
    }

private:
    std::string url_;
    relais::support::HttpClient http_;
};

RELAIS_PLUGIN(UpstreamCaller)
