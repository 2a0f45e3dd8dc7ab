using System.Text.Json;

namespace VisionConsole.Domain.Auditing;

/// <summary>Who changed what, when: one row per create, delete or label change, with before and after as JSON.</summary>
public sealed class AuditEvent
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private AuditEvent()
    {
        User = string.Empty;
        EntityType = string.Empty;
        EntityId = string.Empty;
        Action = string.Empty;
    }

    public AuditEvent(string user, DateTimeOffset at, string entityType, string entityId, string action, string? beforeJson, string? afterJson)
    {
        User = user;
        At = at;
        EntityType = entityType;
        EntityId = entityId;
        Action = action;
        BeforeJson = beforeJson;
        AfterJson = afterJson;
    }

    public long Id { get; private set; }

    public string User { get; private set; }

    public DateTimeOffset At { get; private set; }

    /// <summary>For example <c>dataset</c>, <c>label</c>, <c>image</c>.</summary>
    public string EntityType { get; private set; }

    public string EntityId { get; private set; }

    /// <summary>For example <c>created</c>, <c>deleted</c>, <c>label-added</c>.</summary>
    public string Action { get; private set; }

    public string? BeforeJson { get; private set; }

    public string? AfterJson { get; private set; }

    /// <summary>Builds an event, serializing <paramref name="before"/> and <paramref name="after"/> (camelCase JSON).</summary>
    public static AuditEvent Of(string user, DateTimeOffset at, string entityType, object entityId, string action, object? before, object? after) =>
        new(user, at, entityType, Convert.ToString(entityId, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty, action,
            before is null ? null : JsonSerializer.Serialize(before, Json),
            after is null ? null : JsonSerializer.Serialize(after, Json));
}
