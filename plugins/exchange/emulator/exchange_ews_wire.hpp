// EWS on the wire: the namespaces, the errors in their shapes (a SOAP Fault in HTTP 500, a
// ResponseClass="Error" message in HTTP 200), CalendarItem read (in schema order, or
// ErrorSchemaValidation as EWS answers) and written for an ItemShape, and the field URIs of
// UpdateItem (exchange_ews_errors.cpp, exchange_ews_items.cpp). Written with the SDK's XML writer
// and SOAP codec (relais/support/soap.hpp).
#pragma once

#include "exchange_emulator.hpp"
#include "http_message.hpp"

#include <relais/support/soap.hpp>

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace relais::exchange_emulator::ews {

namespace xml = support::xml;

inline constexpr std::string_view kMessages = "http://schemas.microsoft.com/exchange/services/2006/messages";
inline constexpr std::string_view kTypes = "http://schemas.microsoft.com/exchange/services/2006/types";
inline constexpr std::string_view kErrors = "http://schemas.microsoft.com/exchange/services/2006/errors";

using Values = std::vector<std::pair<std::string, std::string>>;  // MessageXml t:Value Name=...

// Thrown by the handlers: answered as a SOAP Fault in HTTP 500.
struct Fault {
    std::string code;  // ErrorServerBusy...
    std::string message;
    Values values;
};

// Thrown by an operation's handling of one item, or of its only message: answered as a
// ResponseClass="Error" message in HTTP 200.
struct MessageError {
    std::string code;
    std::string text;
    Values values;
};

Fault server_busy(long long back_off_ms);
Fault exceeded_connection_count();
Fault impersonate_user_denied();
Fault non_existent_mailbox(const std::string &mailbox);
Fault invalid_server_version();
// `at` is the element the schema refuses (its line and column go in MessageXml).
Fault schema_violation(const xml::Element *at, const std::string &violation);
MessageError item_not_found();
MessageError invalid_sync_state();
// The ConcurrentSyncCalls text EXO sends, with `back_off_ms`.
MessageError server_busy_message(long long back_off_ms);

// The Fault envelope, and as an HTTP 500 text/xml answer.
std::string fault_xml(const Fault &fault);
emulator::Response fault_response(const Fault &fault);

// A text/xml answer: the envelope with ServerVersionInfo in the Header and `body` in Body.
emulator::Response envelope_response(const std::string &server_version_info, const support::soap::Content &body);

// m:<Operation>ResponseMessage ResponseClass="Error" with MessageText, ResponseCode,
// DescriptiveLinkKey and MessageXml (when values); the element stays open when `keep_open`
// (SyncFolderItems adds SyncState and IncludesLastItemInRange).
void write_error_message(xml::Writer &w, const std::string &operation, const MessageError &error,
                         bool keep_open = false);
// m:<Operation>ResponseMessage ResponseClass="Success" with ResponseCode NoError, left open.
void start_success_message(xml::Writer &w, const std::string &operation);

// What an ItemShape asks for: field URIs ("item:Subject"), extended properties (by Graph id,
// with the ExtendedFieldURI attributes to echo).
struct Shape {
    std::set<std::string> fields;
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> extended;
};
// IdOnly, Default or AllProperties plus AdditionalProperties. Throws Fault (schema) for an
// unknown BaseShape.
Shape read_shape(const xml::Element *item_shape);
void write_calendar_item(xml::Writer &w, const Event &event, const std::string &organizer, const Shape &shape);
void write_item_id(xml::Writer &w, const Event &event);

// The Graph id ("String {guid} Name <name>") an ExtendedFieldURI names; Fault for one the
// emulator does not know (a PropertyTag, a PropertyId, a type other than String).
std::string extended_id(const xml::Element &field_uri);

// A t:CalendarItem of CreateItem, checked against the schema order, into `event`. Throws
// Fault (schema) or MessageError (a value EWS refuses).
void read_calendar_item(const xml::Element &item, Event &event);
// UpdateItem: SetItemField's FieldURI or ExtendedFieldURI with its CalendarItem, and
// DeleteItemField's. Throw MessageError for a field the emulator does not update.
void set_field(const xml::Element &change, Event &event);
void delete_field(const xml::Element &change, Event &event);

// "Exchange2016"... the RequestServerVersion values EWS takes.
bool known_server_version(const std::string &version);

}  // namespace relais::exchange_emulator::ews
