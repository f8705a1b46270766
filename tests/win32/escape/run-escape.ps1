# The Windows escape suite: run on a real Windows 10/11 machine.
#
#   powershell -ExecutionPolicy Bypass -File tests\win32\escape\run-escape.ps1 -Bin build-win
#
# -Bin: the folder holding sbx.exe and sbx-escape-probe.exe (a Windows build,
# e.g. build-win\cli and build-win\tests\win32 copied together, or the build
# tree itself).  Unelevated checks run always; from an Administrator prompt
# the elevated mode is set up, checked (including the firewall) and removed.
# Exit status 0 when nothing escaped.
param([Parameter(Mandatory = $true)][string]$Bin)
$ErrorActionPreference = 'Stop'
function Find-Exe($name) {
    $hit = Get-ChildItem -Path $Bin -Recurse -Filter $name | Select-Object -First 1
    if (-not $hit) { throw "no $name under $Bin" }
    return $hit.FullName
}
$sbx = Find-Exe 'sbx.exe'
$probe = Find-Exe 'sbx-escape-probe.exe'
$root = Join-Path $env:USERPROFILE ("sbx-escape-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
$ws = Join-Path $root 'ws'
$outside = Join-Path $root 'outside'
$state = Join-Path $root 'state'
New-Item -ItemType Directory -Force -Path (Join-Path $ws '.git'), $outside | Out-Null
$failed = 0
try {
    & $sbx --state $state setup --mode unelevated; if ($LASTEXITCODE) { throw 'setup failed' }
    & $sbx --state $state workspace add $ws; if ($LASTEXITCODE) { throw 'workspace add failed' }
    Write-Host '== unelevated (network not enforced in this mode)'
    Push-Location $ws
    & $sbx --state $state run --workspace $ws -- $probe $ws $outside $state
    if ($LASTEXITCODE) { $failed++ }
    Pop-Location
    & $sbx --state $state cleanup
    $admin = ([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
    if ($admin) {
        Write-Host '== elevated'
        & $sbx setup --mode elevated; if ($LASTEXITCODE) { throw 'elevated setup failed' }
        & $sbx workspace add $ws
        Push-Location $ws
        & $sbx run --mode elevated --workspace $ws -- $probe $ws $outside --expect-offline
        if ($LASTEXITCODE) { $failed++ }
        Pop-Location
        & $sbx cleanup
    } else {
        Write-Host '== elevated: skipped (run from an Administrator prompt to include it)'
    }
} finally {
    Remove-Item -Recurse -Force $root -ErrorAction SilentlyContinue
}
if ($failed) { Write-Host "ESCAPES in $failed mode(s)"; exit 1 }
Write-Host 'no escapes'
exit 0
