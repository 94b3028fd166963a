package core

import "switchboard/backend/usage"

func usageFilter() usage.Filter { return usage.Filter{} }
