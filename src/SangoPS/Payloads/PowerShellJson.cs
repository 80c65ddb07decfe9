using System.Management.Automation;
using System.Reflection;

namespace SangoPS.Commands;

/// <summary>
/// PowerShell's own JSON conversion (the code behind ConvertTo-Json and ConvertFrom-Json), so an object
/// published by SangoPS reads exactly as `ConvertTo-Json -Compress` would render it. The module compiles
/// against PowerShell Standard, which lacks these APIs, so they are bound once by reflection from the
/// running PowerShell 7.4+.
/// </summary>
internal static class PowerShellJson
{
    /// <summary>ConvertTo-Json's default depth.</summary>
    public const int DefaultDepth = 2;

    private static readonly Lazy<Binding> Bound = new(Bind);

    /// <param name="warner">
    /// The cmdlet that warns, as ConvertTo-Json does, when an object is nested deeper than <paramref name="depth"/>
    /// and its deeper levels are written as their type names; called on that cmdlet's pipeline thread.
    /// </param>
    public static string ToJson(object? value, int depth = DefaultDepth, PSCmdlet? warner = null)
    {
        var binding = Bound.Value;
        var context = warner is null
            ? Activator.CreateInstance(binding.ContextType, depth, false, true)!
            : Activator.CreateInstance(binding.ContextType, depth, false, true, binding.DefaultEscaping, warner, CancellationToken.None)!;
        return (string)binding.ToJson.Invoke(null, [value, context])!;
    }

    /// <summary>Parses JSON like ConvertFrom-Json; returns false with PowerShell's own error text when it is not JSON.</summary>
    public static bool TryFromJson(string json, out object? value, out string? error)
    {
        var arguments = new object?[] { json, null };
        try
        {
            value = Bound.Value.FromJson.Invoke(null, arguments);
        }
        catch (TargetInvocationException exception) when (exception.InnerException is ArgumentException argument)
        {
            // Not JSON: PowerShell throws instead of filling the error record.
            value = null;
            error = argument.InnerException?.Message ?? argument.Message;
            return false;
        }

        var record = arguments[1] as ErrorRecord;
        error = record?.Exception?.Message;
        return record is null;
    }

    private static Binding Bind()
    {
        const string TypeName = "Microsoft.PowerShell.Commands.JsonObject, Microsoft.PowerShell.Commands.Utility";
        var jsonObject = Type.GetType(TypeName, throwOnError: true)!;
        var contextType = jsonObject.GetNestedType("ConvertToJsonContext", BindingFlags.Public)
            ?? throw new MissingMemberException("JsonObject.ConvertToJsonContext");
        var toJson = jsonObject.GetMethod("ConvertToJson", BindingFlags.Public | BindingFlags.Static,
            [typeof(object), contextType.MakeByRefType()]) ?? throw new MissingMethodException("JsonObject", "ConvertToJson");
        var fromJson = jsonObject.GetMethod("ConvertFromJson", BindingFlags.Public | BindingFlags.Static,
            [typeof(string), typeof(ErrorRecord).MakeByRefType()]) ?? throw new MissingMethodException("JsonObject", "ConvertFromJson");
        // The context that can warn takes Newtonsoft's StringEscapeHandling (its Default, 0) and the cmdlet.
        var withCmdlet = contextType.GetConstructors().FirstOrDefault(c => c.GetParameters().Length == 6)
            ?? throw new MissingMethodException("ConvertToJsonContext", ".ctor(int, bool, bool, StringEscapeHandling, PSCmdlet, CancellationToken)");
        var defaultEscaping = Enum.ToObject(withCmdlet.GetParameters()[3].ParameterType, 0);
        return new Binding(contextType, toJson, fromJson, defaultEscaping);
    }

    private sealed record Binding(Type ContextType, MethodInfo ToJson, MethodInfo FromJson, object DefaultEscaping);
}
