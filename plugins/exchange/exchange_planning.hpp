// push_planning {mailbox, from, to, events[]}: the ERP's planning of a mailbox for a window,
// as the desired state. Only events that carry the ERP's mark are created, changed or
// deleted; a person's own appointments are never touched. Idempotent: a second run of the
// same planning changes nothing and says so ("changed": false).
//
// An ERP event is unchanged when its record holds the digest of what is asked now and the
// version Exchange shows is the one last written: no time-zone arithmetic is needed to tell,
// and an event a person moved in Outlook is put back where the ERP wants it.
#pragma once

#include "exchange_events.hpp"

#include <relais/plugin.hpp>

namespace relais::exchange {

Json push_planning(Events &events, const Json &input, Call &call);

}  // namespace relais::exchange
