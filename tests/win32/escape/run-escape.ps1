# SPDX-License-Identifier: MIT
# The Windows escape suite: run on a real Windows 10/11 machine (or the
# hosted runner of .github/workflows/windows.yml).  Wine can't run it: it
# enforces no DACL, no restricted token, no firewall rule.
#
#   powershell -ExecutionPolicy Bypass -File tests\win32\escape\run-escape.ps1 `
#       -Bin build-win -Mode unelevated -State C:\Users\me\sbx-escape-state
#   (from an Administrator prompt)                                 -Mode elevated
#
# -Bin: the folder holding sbx.exe, sbx-runner.exe and sbx-escape-probe.exe
# (searched recursively).  -Mode: unelevated or elevated (elevated needs an
# Administrator prompt: it runs sbx setup and sbx cleanup for the machine).
# -State: the state directory the unelevated mode uses (made and removed
# here; it must not exist yet); the elevated mode uses the machine state
# (%ProgramData%\sbx), which must not exist yet either.
#
# For the mode: the probe's fixtures are made in a throwaway workspace (with
# a .git) and an "outside" folder; every attempt runs once WITHOUT the
# sandbox (each must succeed there, or the attempt proves nothing: the
# suite fails), then the fixtures are made again, sbx is set up, the
# workspace registered, and the probe runs inside `sbx run`: every forbidden
# attempt must fail and every positive (write, TEMP, git, a build) succeed.
# The network attempts count in the elevated mode (its offline account);
# the unelevated mode does not block the network on Windows (docs/windows.md).
# Exit status 0 when nothing escaped and nothing was broken.
param(
    [Parameter(Mandatory = $true)][string]$Bin,
    [Parameter(Mandatory = $true)][ValidateSet('unelevated', 'elevated')][string]$Mode,
    [string]$State = '',
    [int]$Port = 47317
)
$ErrorActionPreference = 'Stop'
function Find-Exe($name) {
    $hit = Get-ChildItem -Path $Bin -Recurse -Filter $name | Select-Object -First 1
    if (-not $hit) { throw "no $name under $Bin" }
    return $hit.FullName
}
$sbx = Find-Exe 'sbx.exe'
$probe = Find-Exe 'sbx-escape-probe.exe'
$runner = Find-Exe 'sbx-runner.exe'
$admin = ([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
if ($Mode -eq 'elevated' -and -not $admin) { throw 'the elevated mode needs an Administrator prompt' }
if ($Mode -eq 'elevated') {
    $State = Join-Path $env:ProgramData 'sbx'
    $stateArgs = @()
} else {
    if (-not $State) { throw '-State is required for the unelevated mode' }
    $stateArgs = @('--state', $State)
}
if (Test-Path $State) { throw "$State exists: the suite sets sbx up from nothing and removes it" }
$root = Join-Path $env:USERPROFILE ("sbx-escape-" + [guid]::NewGuid().ToString('N').Substring(0, 8))
$ws = Join-Path $root 'ws'
$outside = Join-Path $root 'outside'
New-Item -ItemType Directory -Force -Path $root | Out-Null
# The elevated mode's account must read the programs it runs: a build tree
# in a profile is not readable to it, Program Files is.
$installed = $null
if ($Mode -eq 'elevated') {
    $installed = Join-Path $env:ProgramFiles ('sbx-escape-' + (Split-Path $root -Leaf))
    New-Item -ItemType Directory -Force -Path $installed | Out-Null
    foreach ($f in @($sbx, $runner, $probe)) { Copy-Item $f $installed }
    $sbx = Join-Path $installed 'sbx.exe'
    $probe = Join-Path $installed 'sbx-escape-probe.exe'
}
$common = @('--state', $State, '--workspace', $ws, '--outside', $outside,
            '--caller-temp', $env:TEMP, '--caller-profile', $env:USERPROFILE,
            '--caller-pid', $PID, '--serve-port', $Port)
$server = Start-Process -FilePath $probe -ArgumentList @('--serve', $Port) -PassThru -WindowStyle Hidden
$failed = 0
try {
    Start-Sleep -Seconds 1
    & $probe --prepare --workspace $ws --outside $outside
    if ($LASTEXITCODE) { throw 'the fixtures could not be made' }
    Write-Host "== baseline (no sandbox): every attempt must succeed"
    New-Item -ItemType Directory -Force -Path $State | Out-Null
    & $probe --mode none @common
    if ($LASTEXITCODE) { Write-Host "BASELINE: $LASTEXITCODE attempt(s) could not be made"; $failed++ }
    Remove-Item -Recurse -Force $State
    & $probe --prepare --workspace $ws --outside $outside
    if ($LASTEXITCODE) { throw 'the fixtures could not be made again' }
    Write-Host "== $Mode mode: every forbidden attempt must fail, every positive succeed"
    & $sbx @stateArgs setup --mode $Mode; if ($LASTEXITCODE) { throw 'sbx setup failed' }
    try {
        & $sbx @stateArgs workspace add $ws; if ($LASTEXITCODE) { throw 'sbx workspace add failed' }
        Push-Location $ws
        & $sbx @stateArgs run --mode $Mode --workspace $ws -- $probe --mode $Mode @common
        $rc = $LASTEXITCODE
        Pop-Location
        if ($rc) { Write-Host "SANDBOX: status $rc"; $failed++ }
    } finally {
        & $sbx @stateArgs cleanup
        if ($LASTEXITCODE) { Write-Host 'sbx cleanup failed'; $failed++ }
    }
} finally {
    Stop-Process -Id $server.Id -Force -ErrorAction SilentlyContinue
    Remove-Item -Recurse -Force $root -ErrorAction SilentlyContinue
    if ($installed) { Remove-Item -Recurse -Force $installed -ErrorAction SilentlyContinue }
}
if ($failed) { Write-Host "FAILED ($Mode mode)"; exit 1 }
Write-Host "no escapes ($Mode mode)"
exit 0
