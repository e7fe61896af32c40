// Counts invoices in metrics of its own and logs about each call, for the service test of
// /metrics and of call-scoped logs: a counter by invoice, a histogram of the seconds the
// input says, one metric whose name the host refuses, and a log line with the secret setting
// in it (which the host must redact).
#include <relais/plugin.hpp>

class Metered {
public:
    static relais::Definition<Metered> definition() {
        return relais::Definition<Metered>(RELAIS_PLUGIN_NAME, RELAIS_PLUGIN_VERSION, "Counts invoices in its metrics")
            .settings_schema(R"({
              "type": "object",
              "properties": {"token": {"type": "string", "secret": true, "default": ""}},
              "additionalProperties": false
            })")
            .action("count", "Counts one invoice", R"({
              "type": "object",
              "required": ["invoice"],
              "properties": {"invoice": {"type": "string"}, "seconds": {"type": "number"}},
              "additionalProperties": false
            })",
                    &Metered::count);
    }
    explicit Metered(relais::Host host) : host_(host) {}
    void configure(const relais::Json &settings) { token_ = settings->optValue<std::string>("token", ""); }

    relais::Json count(const relais::Json &input, relais::Call &call) {
        const auto invoice = input->getValue<std::string>("invoice");
        relais::Json labels = new Poco::JSON::Object;
        labels->set("invoice", invoice);
        host_.metric_add("invoices", 1, labels);
        host_.metric_observe("step_seconds", input->optValue<double>("seconds", 0.1));
        host_.metric_add("Not A Name", 1);
        call.info("invoice " + invoice + " counted with token " + token_);
        return new Poco::JSON::Object;
    }

private:
    relais::Host host_;
    std::string token_;
};

RELAIS_PLUGIN(Metered)
