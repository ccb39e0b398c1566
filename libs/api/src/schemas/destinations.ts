import { BREAKER_STATES } from '@parc/store';
import { FLOW_KEY_PATTERN, MAX_FLOW_KEY_LENGTH } from '@parc/envelope';
import { Type } from '@sinclair/typebox';

const Count = (description: string) => Type.Integer({ minimum: 0, description });

/** What an operator sees of one destination key (`DestinationState` in `@parc/store`). */
export const DestinationSchema = Type.Object(
  {
    key: Type.String({ description: 'The flow-control key: the one requests named, or their origin' }),
    limits: Type.Object(
      {
        rate: Type.Optional(Type.Integer({ description: 'Calls started per periodMs' })),
        periodMs: Type.Optional(Type.Integer()),
        parallelism: Type.Optional(Type.Integer({ description: 'Calls in flight at once' })),
        adaptive: Type.Optional(Type.Boolean()),
      },
      { description: 'The limits the latest request of the key carried (none: unlimited)' },
    ),
    inFlight: Count('Calls in flight now that went through the gate'),
    learnedLimit: Type.Optional(Type.Integer({ minimum: 1, description: 'Calls in flight the adaptive controller allows now' })),
    breaker: Type.Unsafe<(typeof BREAKER_STATES)[number]>({ type: 'string', enum: [...BREAKER_STATES], description: 'The circuit breaker' }),
    breakerRetryAt: Type.Optional(Type.String({ format: 'date-time', description: 'When an open breaker lets its probe through' })),
    paused: Type.Boolean({ description: 'Paused by an operator' }),
    retryAfterUntil: Type.Optional(Type.String({ format: 'date-time', description: "Held by the destination's Retry-After until then" })),
    lastMinute: Type.Object({
      calls: Count('Calls that ended in the last minute'),
      success: Count('Answered (any status but 429 and 5xx)'),
      failure: Count('5xx other than 503, refused connections, DNS and TLS failures'),
      overload: Count('429, 503, timeouts and reset connections'),
    }),
    waiting: Count('Requests told to wait whose turn has not come yet'),
    lastSeenAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Destination', additionalProperties: false },
);

export const DestinationListSchema = Type.Object(
  { destinations: Type.Array(Type.Ref(DestinationSchema), { description: 'Keys active in the last hour, most recent first (at most 1,000)' }) },
  { additionalProperties: false },
);

export const DestinationKeyParamsSchema = Type.Object(
  { key: Type.String({ minLength: 1, maxLength: MAX_FLOW_KEY_LENGTH, pattern: FLOW_KEY_PATTERN, description: 'The key, URL-encoded (an origin key: https%3A%2F%2Fapi.example.com)' }) },
  { additionalProperties: false },
);
