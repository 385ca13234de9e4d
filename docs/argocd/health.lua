-- Argo CD health check for adobe-oauth-operator.dev/AdobeOAuthCredential.
-- Healthy: Ready. Progressing: not adopted yet, a spec change not yet seen, or a rotation in
-- flight. Degraded: Stalled (the operator needs a human) or Failed (the last rotation failed).
-- Suspended: spec.suspend is true.
local hs = {}

local function condition(status, type)
  if status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

local function message_of(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return fallback
end

if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "spec.suspend is true: no rotation starts"
  return hs
end

local status = obj.status
if status == nil or status.phase == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to adopt the credential"
  return hs
end

local generation = obj.metadata ~= nil and obj.metadata.generation or nil
if generation ~= nil and status.observedGeneration ~= nil and status.observedGeneration < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to see generation " .. tostring(generation)
  return hs
end

local stalled = condition(status, "Stalled")
local rotating = condition(status, "Rotating")
local ready = condition(status, "Ready")

if (stalled ~= nil and stalled.status == "True") or status.phase == "Stalled" then
  hs.status = "Degraded"
  hs.message = message_of(stalled, "Stalled")
  return hs
end

if status.phase == "Failed" then
  hs.status = "Degraded"
  hs.message = message_of(ready, "The last rotation failed")
  return hs
end

if (rotating ~= nil and rotating.status == "True") or status.phase == "Rotating" then
  hs.status = "Progressing"
  hs.message = message_of(rotating, "Rotating")
  return hs
end

if status.phase == "Ready" and ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = message_of(ready, "Ready")
  return hs
end

hs.status = "Progressing"
hs.message = message_of(ready, "Phase " .. tostring(status.phase))
return hs
