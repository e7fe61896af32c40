// EWS errors in their shapes (exchange_ews_wire.hpp): the Fault in HTTP 500, the Error
// message in HTTP 200, and the answer envelope.
#include "exchange_ews_wire.hpp"

namespace relais::exchange_emulator::ews {

namespace soap = support::soap;
using emulator::Response;

Fault server_busy(long long back_off_ms) {
    return {"ErrorServerBusy",
            "The server cannot service this request right now. Try again later.",
            {{"BackOffMilliseconds", std::to_string(back_off_ms)}}};
}

Fault exceeded_connection_count() {
    return {"ErrorExceededConnectionCount",
            "You have exceeded the available concurrent connections for your account.  Try again once your other "
            "requests have completed.",
            {{"Policy", "MaxConcurrency"},
             {"MaxConcurrencyLimit", "27"},
             {"ErrorMessage",
              "This operation exceeds the throttling budget for policy part 'MaxConcurrency', policy "
              "value '27',  Budget type: 'Ews'.  Suggested backoff time 0 ms."}}};
}

Fault impersonate_user_denied() {
    return {
        "ErrorImpersonateUserDenied", "The account does not have permission to impersonate the requested user.", {}};
}

Fault non_existent_mailbox(const std::string &mailbox) {
    (void)mailbox;  // EWS does not name it
    return {"ErrorNonExistentMailbox", "The SMTP address has no mailbox associated with it.", {}};
}

Fault invalid_server_version() { return {"ErrorInvalidServerVersion", "The specified server version is invalid.", {}}; }

Fault schema_violation(const xml::Element *at, const std::string &violation) {
    Fault f{"ErrorSchemaValidation", "The request failed schema validation: " + violation, {}};
    f.values = {{"LineNumber", std::to_string(at ? at->line() : 0)},
                {"LinePosition", std::to_string(at ? at->column() : 0)},
                {"Violation", violation}};
    return f;
}

MessageError item_not_found() { return {"ErrorItemNotFound", "The specified object was not found in the store.", {}}; }

MessageError invalid_sync_state() {
    return {"ErrorInvalidSyncStateData", "Synchronization state data is corrupt or otherwise invalid.", {}};
}

MessageError server_busy_message(long long back_off_ms) {
    return {"ErrorServerBusy",
            "The server cannot service this request right now. Try again later., This operation exceeds the throttling "
            "budget for policy part 'ConcurrentSyncCalls', policy value '5',  Budget type: 'Ews'.  Suggested backoff "
            "time " +
                std::to_string(back_off_ms) + " ms.",
            {{"BackOffMilliseconds", std::to_string(back_off_ms)}}};
}

std::string fault_xml(const Fault &fault) {
    // The detail as EWS writes it: ResponseCode and Message in the errors namespace, then the
    // values in the types namespace. Schema faults put LineNumber... as elements, not Values.
    const bool schema = fault.code == "ErrorSchemaValidation";
    return soap::write_fault({std::string(kTypes), fault.code, "a"}, fault.message, [&](xml::Writer &w) {
        w.start("e:ResponseCode").declare("e", kErrors).text(fault.code).end();
        w.start("e:Message").declare("e", kErrors).text(fault.message).end();
        if (fault.values.empty()) return;
        w.start("t:MessageXml").declare("t", kTypes);
        for (const auto &[name, value] : fault.values) {
            if (schema)
                w.element("t:" + name, value);
            else
                w.start("t:Value").attribute("Name", name).text(value).end();
        }
        w.end();
    });
}

Response fault_response(const Fault &fault) {
    Response r;
    r.status = 500;
    r.body = fault_xml(fault);
    r.header("Content-Type", "text/xml; charset=utf-8");
    return r;
}

Response envelope_response(const std::string &server_version_info, const soap::Content &body) {
    Response r;
    r.body = soap::write_envelope(
        {{"m", std::string(kMessages)}, {"t", std::string(kTypes)}},
        [&](xml::Writer &w) {
            w.start("t:ServerVersionInfo")
                .attribute("MajorVersion", "15")
                .attribute("MinorVersion", "20")
                .attribute("MajorBuildNumber", "8769")
                .attribute("MinorBuildNumber", "35")
                .attribute("Version", server_version_info)
                .end();
        },
        body);
    r.header("Content-Type", "text/xml; charset=utf-8");
    return r;
}

void write_error_message(xml::Writer &w, const std::string &operation, const MessageError &error, bool keep_open) {
    w.start("m:" + operation + "ResponseMessage").attribute("ResponseClass", "Error");
    w.element("m:MessageText", error.text);
    w.element("m:ResponseCode", error.code);
    w.element("m:DescriptiveLinkKey", "0");
    if (!error.values.empty()) {
        w.start("m:MessageXml");
        for (const auto &[name, value] : error.values) w.start("t:Value").attribute("Name", name).text(value).end();
        w.end();
    }
    if (!keep_open) w.end();
}

void start_success_message(xml::Writer &w, const std::string &operation) {
    w.start("m:" + operation + "ResponseMessage").attribute("ResponseClass", "Success");
    w.element("m:ResponseCode", "NoError");
}

}  // namespace relais::exchange_emulator::ews
