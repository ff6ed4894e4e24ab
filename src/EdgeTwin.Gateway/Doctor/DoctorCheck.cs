namespace EdgeTwin.Gateway.Doctor;

/// <summary>How one check came out. The report's exit code is decided by the worst of them.</summary>
public enum DoctorOutcome
{
    Ok,

    /// <summary>The check could not be made here (no timedatectl, no systemd...): said plainly, never counted as a pass.</summary>
    Unknown,
    Warning,
    Failed,
}

/// <summary>One line of the doctor's report: what was checked, how it came out, and what to do about it.</summary>
public sealed record DoctorCheck(string Area, string Subject, DoctorOutcome Outcome, string Detail);
