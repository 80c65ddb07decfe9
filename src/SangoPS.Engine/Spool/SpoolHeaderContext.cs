using System.Text.Json.Serialization;

namespace SangoPS.Spool;

/// <summary>Source-generated JSON for the spool header: no reflection at run time (start-up cost matters).</summary>
[JsonSerializable(typeof(SpoolHeader))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class SpoolHeaderContext : JsonSerializerContext
{
}
