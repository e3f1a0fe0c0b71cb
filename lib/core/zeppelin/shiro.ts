// shiro.ini without its secrets. Zeppelin turns authentication on exactly when `<conf dir>/shiro.ini`
// exists (ZeppelinConfiguration.isAnonymousAllowed), so the server's init container writes this text
// followed by the `[users]` lines from the user's Secret into a memory-backed emptyDir: passwords are
// never in a ConfigMap or on the node's disk. Sections and URL rules follow Zeppelin 0.12.1's
// conf/shiro.ini.template; URL rules are matched first to last.

/** The sections of shiro.ini that hold no credentials. */
export const SHIRO_INI_WITHOUT_USERS = `[main]
sessionManager = org.apache.shiro.web.session.mgt.DefaultWebSessionManager
cookie = org.apache.shiro.web.servlet.SimpleCookie
cookie.name = JSESSIONID
cookie.httpOnly = true
cookie.sameSite = LAX
sessionManager.sessionIdCookie = $cookie
securityManager.sessionManager = $sessionManager
# One day, in milliseconds.
securityManager.sessionManager.globalSessionTimeout = 86400000
shiro.loginUrl = /api/login

[roles]
admin = *

[urls]
/api/version = anon
/api/cluster/address = anon
# Anyone signed in may restart an interpreter; only admins change settings, repositories and credentials.
/api/interpreter/setting/restart/** = authc
/api/interpreter/** = authc, roles[admin]
/api/notebook-repositories/** = authc, roles[admin]
/api/configurations/** = authc, roles[admin]
/api/credential/** = authc, roles[admin]
/api/admin/** = authc, roles[admin]
/** = authc
`;
