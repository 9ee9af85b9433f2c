//! What the run needs from Graph: application permissions, delegated scopes, and the commands
//! that grant them (`intune-audit permissions`).

use crate::graph::plan::PLAN;
use intune_audit_checks::checks::REGISTRY;

/// Microsoft Graph's application id (the API the permissions belong to).
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

pub use crate::cloud::DELEGATED_SCOPES;

/// The application permissions of the plan (delegated-only rows left out), sorted, unique.
pub fn application_permissions() -> Vec<&'static str> {
    let mut p: Vec<&'static str> = PLAN
        .iter()
        .filter(|r| !r.resource.delegated_only())
        .map(|r| r.permission)
        .collect();
    p.sort_unstable();
    p.dedup();
    p
}

/// The text `intune-audit permissions` prints.
pub fn render(client_id: Option<&str>) -> String {
    let mut out = String::new();
    let app = client_id.unwrap_or("<application-client-id>");
    out.push_str("Microsoft Graph permissions intune-audit needs (all read-only)\n\n");
    out.push_str("Application permissions (app-only: client secret, certificate, federated credential, managed identity):\n");
    for p in application_permissions() {
        let resources: Vec<&str> = PLAN
            .iter()
            .filter(|r| r.permission == p)
            .map(|r| r.resource.key())
            .collect();
        out.push_str(&format!("  {p:<42} {}\n", resources.join(", ")));
    }
    out.push_str(
        "\nDelegated only: Policy.Read.All for mobileDeviceManagementPolicies and mobileAppManagementPolicies\n\
         (the MDM and MAM user scope). Graph refuses app-only tokens there (401 \"Unsupported app-only call\"),\n\
         so the checks that read it need a signed-in Global Reader or Intune Administrator:\n\
         run `intune-audit audit --device-code` or `--interactive`.\n",
    );
    out.push_str("\nPer check:\n");
    let width = REGISTRY.iter().map(|c| c.id().len()).max().unwrap_or(10);
    for check in REGISTRY {
        out.push_str(&format!(
            "  {:<width$}  {}\n",
            check.id(),
            check.permissions().join(", ")
        ));
    }
    let perms = application_permissions().join(" ");
    out.push_str(&format!(
        "\nGrant the application permissions to an app registration (Azure CLI, as a Privileged Role\n\
         Administrator or Global Administrator):\n\n\
         \x20 APP_ID={app}\n\
         \x20 GRAPH={GRAPH_APP_ID}\n\
         \x20 for p in {perms}; do\n\
         \x20   role=$(az ad sp show --id $GRAPH --query \"appRoles[?value=='$p'].id\" -o tsv)\n\
         \x20   az ad app permission add --id \"$APP_ID\" --api $GRAPH --api-permissions \"$role=Role\"\n\
         \x20 done\n\
         \x20 az ad app permission admin-consent --id \"$APP_ID\"\n"
    ));
    out.push_str(&format!(
        "\nGrant them to a managed identity (there is no portal screen; an app role assignment):\n\n\
         \x20 MI_SP=<object-id-of-the-managed-identity's-service-principal>\n\
         \x20 GRAPH_SP=$(az ad sp show --id {GRAPH_APP_ID} --query id -o tsv)\n\
         \x20 for p in {perms}; do\n\
         \x20   role=$(az ad sp show --id {GRAPH_APP_ID} --query \"appRoles[?value=='$p'].id\" -o tsv)\n\
         \x20   az rest --method POST --uri \"https://graph.microsoft.com/v1.0/servicePrincipals/$MI_SP/appRoleAssignments\" \\\n\
         \x20     --body \"{{\\\"principalId\\\":\\\"$MI_SP\\\",\\\"resourceId\\\":\\\"$GRAPH_SP\\\",\\\"appRoleId\\\":\\\"$role\\\"}}\"\n\
         \x20 done\n"
    ));
    let scopes = DELEGATED_SCOPES.join(" ");
    out.push_str(&format!(
        "\nDelegated scopes (device code / browser sign-in; without --client-id the Microsoft Graph\n\
         command-line tools public client {} is used and an admin consents on first sign-in):\n\
         \x20 {scopes}\n\n\
         With your own app registration (enable \"Allow public client flows\" for --device-code, add the\n\
         redirect URI http://localhost for --interactive):\n\n\
         \x20 for p in {scopes}; do\n\
         \x20   scope=$(az ad sp show --id {GRAPH_APP_ID} --query \"oauth2PermissionScopes[?value=='$p'].id\" -o tsv)\n\
         \x20   az ad app permission add --id \"$APP_ID\" --api {GRAPH_APP_ID} --api-permissions \"$scope=Scope\"\n\
         \x20 done\n\
         \x20 az ad app permission admin-consent --id \"$APP_ID\"\n",
        crate::cloud::GRAPH_CLI_CLIENT_ID
    ));
    out.push_str(&powershell(app, &perms, &scopes));
    out
}

/// The same grants in PowerShell with the Microsoft Graph PowerShell SDK (what most Intune
/// admins have at hand on Windows).
fn powershell(app: &str, perms: &str, scopes: &str) -> String {
    let list = |items: &str| {
        items
            .split_whitespace()
            .map(|p| format!("'{p}'"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "\nPowerShell (Microsoft Graph PowerShell SDK: Install-Module Microsoft.Graph.Applications):\n\n\
         \x20 Connect-MgGraph -Scopes 'Application.ReadWrite.All','AppRoleAssignment.ReadWrite.All','DelegatedPermissionGrant.ReadWrite.All'\n\
         \x20 $graph = Get-MgServicePrincipal -Filter \"appId eq '{GRAPH_APP_ID}'\"\n\
         \x20 # The app registration's service principal, or a managed identity's service principal:\n\
         \x20 $sp = Get-MgServicePrincipal -Filter \"appId eq '{app}'\"\n\
         \x20 foreach ($p in @({perms})) {{\n\
         \x20   $role = $graph.AppRoles | Where-Object {{ $_.Value -eq $p }}\n\
         \x20   New-MgServicePrincipalAppRoleAssignment -ServicePrincipalId $sp.Id -PrincipalId $sp.Id -ResourceId $graph.Id -AppRoleId $role.Id\n\
         \x20 }}\n\
         \x20 # Delegated scopes, consented for all users of your own app registration:\n\
         \x20 New-MgOauth2PermissionGrant -ClientId $sp.Id -ConsentType AllPrincipals -ResourceId $graph.Id -Scope '{scopes}'\n",
        perms = list(perms),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_app_permissions_checks_and_grant_commands() {
        let text = render(Some("1111"));
        for p in application_permissions() {
            assert!(text.contains(p), "{p}");
        }
        assert!(!application_permissions()
            .iter()
            .any(|p| p.contains("delegated")));
        assert!(text.contains("Policy.Read.All"));
        assert!(text.contains("APP_ID=1111"));
        assert!(text.contains("az ad app permission admin-consent"));
        assert!(text.contains("New-MgServicePrincipalAppRoleAssignment"));
        assert!(text.contains("foreach ($p in @('"));
        assert!(text.contains("$sp = Get-MgServicePrincipal -Filter \"appId eq '1111'\""));
        for c in REGISTRY {
            assert!(text.contains(c.id()), "{}", c.id());
        }
    }
}
