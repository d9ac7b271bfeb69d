"""Snippets in the shape of published threat reports (written for this corpus): advisories in
English and French, IOC tables, markdown lists, appendices, YARA-like, Sigma-like and JSON text.
(text, kind, expected): kind is "text" or "csv"."""

# ruff: noqa: E501
M = ["cc15cffe04b1b3f72e0f50e4ba28a09c", "7c92cf1eee8d99cc85f8355a3d6e4b86", "d279186428a75016b17e4df5ea43d080",
     "9d3e622df914d8de7f747b7b8b143c52", "44379f2b1a5611f625592bbf6e596a47"]
S1 = ["23f83465a763f97902316d1dfe8fe79bc5536aea", "5573e39b6600496d40f493d00ec7658479a19607",
      "a50126cc2d6c726de0ca203c3b659f658d356173", "aa893358be4b506d8aeb52b29b8a9cacdd695b64"]
S2 = ["dd191696e15e2ee293410d02454c5f9461a2249dee6d57c75f264eaeb83a3782",
      "82f3e9c695dc6b8d1b11818d5701919e286de8d47f7c3eb3100c485f79e57828",
      "db77fd01af957221a4989b64b3770a83a3c56068405b9f0e9408feae57fd17e4",
      "e49d63b2a8a78f048bafc4b4590029603a5a4165ee8bf98af15d62f24cd83479",
      "a2ec8adac7fd24b4b7a8edd89d06990579f6123f5724a14b47ee4bddfb2ba572"]

REPORTS = [
    # --- IOC tables --------------------------------------------------------------------------
    (f"| Type | Indicator | Comment |\n|---|---|---|\n| IPv4 | 91.215.85[.]142 | C2 |\n| Domain | docs-share-cloud[.]com | phishing |\n| SHA256 | {S2[0]} | loader.dll |",
     "text", {"ipv4": ["91.215.85.142"], "domain": ["docs-share-cloud.com"], "sha256": [S2[0]]}),
    (f"Indicator\tType\tFirst seen\n185.174.101[.]12\tip-dst\t2024-02-11\nhxxps://cdn-telemetrix[.]net/api/v2/beacon\turl\t2024-02-12\n{M[0]}\tmd5\t2024-02-12",
     "text", {"ipv4": ["185.174.101.12"], "url": ["https://cdn-telemetrix.net/api/v2/beacon"], "md5": [M[0]]}),
    (f"type;valeur;commentaire\nsha1;{S1[0]};dropper\ndomaine;maj-logiciel-sante[.]fr;hébergement\nip;194.87.31[.]77;serveur de commande",
     "csv", {"sha1": [S1[0]], "domain": ["maj-logiciel-sante.fr"], "ipv4": ["194.87.31.77"]}),
    ("indicator,type,tlp\nsupport@helpdesk-m365[.]com,email,green\n2a0e:97c0:3e3:17::12,ipv6,green\nCVE-2023-4966,vulnerability,clear",
     "csv", {"email": ["support@helpdesk-m365.com"], "ipv6": ["2a0e:97c0:3e3:17::12"], "cve": ["CVE-2023-4966"]}),
    # --- markdown lists ----------------------------------------------------------------------
    ("## Network indicators\n\n- `update-checker[.]org`\n- `45.133.1[.]88:443`\n- `hxxp://45.133.1[.]88/s.ps1`\n\n## Host indicators\n\n- `C:\\ProgramData\\svc\\rundll.dll`\n- `%APPDATA%\\Microsoft\\update.exe`",
     "text", {"domain": ["update-checker.org"], "ipv4": ["45.133.1.88"], "url": ["http://45.133.1.88/s.ps1"]}),
    (f"### Fichiers\n\n* `facture_0324.js` — SHA-256 : `{S2[1]}`\n* `setup.msi` — MD5 : `{M[1]}`\n\n### Réseau\n\n* `paiement-ameli-remboursement[.]info`",
     "text", {"sha256": [S2[1]], "md5": [M[1]], "domain": ["paiement-ameli-remboursement.info"]}),
    ("* **C2:** `sync-office365[.]live`, `api.sync-office365[.]live`\n* **Staging:** `hxxps://files.fm[.]cloud/u/7hk2`\n* **Tool:** AnyDesk 8.0.8, Rclone v1.65.2",
     "text", {"domain": ["sync-office365.live", "api.sync-office365.live"], "url": ["https://files.fm.cloud/u/7hk2"]}),
    # --- "IOCs" appendices -------------------------------------------------------------------
    (f"Appendix A — Indicators of Compromise\n\nSHA256                                                            Filename\n{S2[2]}  svchost32.exe\n{S2[3]}  WinUpdate.dll\n\nSHA1\n{S1[1]}  readme.txt.lnk",
     "text", {"sha256": [S2[2], S2[3]], "sha1": [S1[1]]}),
    (f"Annexe – Indicateurs de compromission\n\nEmpreintes MD5 :\n{M[2]}  (Mise_a_jour_Chrome.exe)\n{M[3]}  (Document_CPAM.pdf.lnk)\n\nAdresses IP : 5.252.177[.]21, 80.66.88[.]145",
     "text", {"md5": [M[2], M[3]], "ipv4": ["5.252.177.21", "80.66.88.145"]}),
    (f"IOCs\n----\nFile: invoice_2024.iso ({M[4]})\nFile: Payment.img\nURL: hxxps[:]//storage-drop[.]xyz/d/a1b2\nEmail sender: billing[@]fastpay-invoices[.]com",
     "text", {"md5": [M[4]], "url": ["https://storage-drop.xyz/d/a1b2"], "email": ["billing@fastpay-invoices.com"]}),
    # --- YARA-like ---------------------------------------------------------------------------
    (f"rule Loader_Hospital_2024 {{\n  meta:\n    author = \"CERT\"\n    hash = \"{S2[4]}\"\n    reference = \"https://cert-sante-reference.fr/avis/2024-05\"\n  strings:\n    $s1 = \"cmd.exe /c whoami\" ascii\n    $s2 = \"Global\\\\MtxLdr24\" wide\n    $h = {{ 4D 5A 90 00 }}\n  condition:\n    uint16(0) == 0x5A4D and all of them\n}}",
     "text", {"sha256": [S2[4]], "url": ["https://cert-sante-reference.fr/avis/2024-05"]}),
    ("rule Stealer_Config {\n  strings:\n    $c2 = \"panel.stealer-hub.ru\" ascii\n    $ua = \"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\"\n    $p = \"\\\\AppData\\\\Local\\\\Temp\\\\x.tmp\"\n  condition: 2 of them\n}",
     "text", {"domain": ["panel.stealer-hub.ru"]}),
    # --- Sigma-like --------------------------------------------------------------------------
    ("title: Suspicious rundll32 network connection\nlogsource:\n  category: network_connection\n  product: windows\ndetection:\n  selection:\n    Image|endswith: '\\rundll32.exe'\n    DestinationHostname|endswith:\n      - '.tunnel-relay.top'\n      - 'cdn-fonts-static.com'\n    DestinationIp:\n      - '193.233.20.14'\n  condition: selection\nlevel: high",
     "text", {"domain": ["tunnel-relay.top", "cdn-fonts-static.com"], "ipv4": ["193.233.20.14"]}),
    ("title: Exploitation de CVE-2024-21887\nstatus: experimental\ndetection:\n  selection:\n    cs-uri-stem|contains: '/api/v1/totp/user-backup-code/../../license/keys-status'\n  condition: selection\nfalsepositives:\n  - Inconnu",
     "text", {"cve": ["CVE-2024-21887"]}),
    # --- JSON --------------------------------------------------------------------------------
    ('{"indicators": [{"type": "domain", "value": "login-securite-sante[.]fr"}, {"type": "ipv4", "value": "62.182.84.61"}, {"type": "url", "value": "hxxps://login-securite-sante[.]fr/owa/auth.php"}]}',
     "text", {"domain": ["login-securite-sante.fr"], "ipv4": ["62.182.84.61"], "url": ["https://login-securite-sante.fr/owa/auth.php"]}),
    (f'{{"sha256": "{S2[0]}", "sha1": "{S1[2]}", "md5": "{M[0]}", "file_name": "update.ps1", "size": 48211, "first_seen": "2024-03-18T09:12:44Z"}}',
     "text", {"sha256": [S2[0]], "sha1": [S1[2]], "md5": [M[0]]}),
    ('{"c2": ["hxxp://213.209.150[.]18:8080/gate", "hxxp://[2a03:4000:6:d221::1]/gate"], "version": "2.4.1", "botnet": "hosp24", "mutex": "Global\\\\x9a"}',
     "text", {"url": ["http://213.209.150.18:8080/gate", "http://[2a03:4000:6:d221::1]/gate"]}),
    ('{"event_id": 4624, "src_ip": "10.12.0.4", "dst_ip": "45.155.205.233", "user": "svc_backup", "host": "SRV-DPI-01.chu.local"}',
     "text", {"ipv4": ["10.12.0.4", "45.155.205.233"]}),
    # --- English advisories ------------------------------------------------------------------
    ("The actor gained initial access by exploiting CVE-2023-46604 in Apache ActiveMQ, then deployed a Go-based implant that beaconed to 179.43.187[.]30 every 60 seconds.",
     "text", {"cve": ["CVE-2023-46604"], "ipv4": ["179.43.187.30"]}),
    ("Victims received a message from it-support@m365-helpdesk[.]net asking them to join a Teams call; the operator then installed Quick Assist and fetched hxxps://m365-helpdesk[.]net/qa/agent.zip.",
     "text", {"email": ["it-support@m365-helpdesk.net"], "url": ["https://m365-helpdesk.net/qa/agent.zip"]}),
    ("Ransom notes (README_RESTORE.txt) point to the leak site xvz4p3tdxcbv7s3f[.]onion mirror and to a Tox ID; no bitcoin address was present.",
     "text", {"onion": ["xvz4p3tdxcbv7s3f.onion"]}),
    ("Version 3.2 of the backdoor moved its configuration to a DNS TXT record of cfg.telemetry-ping[.]com and uses port 8443 on 2.58.56[.]101.",
     "text", {"domain": ["cfg.telemetry-ping.com"], "ipv4": ["2.58.56.101"]}),
    ("Patch CVE-2024-3400 (PAN-OS) and CVE-2024-21762 (FortiOS) immediately; see vendor bulletins FG-IR-24-015 and PAN-SA-2024-0012.",
     "text", {"cve": ["CVE-2024-3400", "CVE-2024-21762"]}),
    ("Exfiltration used rclone to mega[.]nz and a WebDAV share at hxxps://185.225.74[.]94:4443/dav/ (self-signed certificate, CN=localhost).",
     "text", {"domain": ["mega.nz"], "url": ["https://185.225.74.94:4443/dav/"]}),
    ("The phishing kit posts credentials to hxxps://api.telegram[.]org/bot6123456789:AAF-example/sendMessage and redirects to the real portal.",
     "text", {"url": ["https://api.telegram.org/bot6123456789:AAF-example/sendMessage"]}),
    # --- French advisories -------------------------------------------------------------------
    ("Le CERT Santé a observé une campagne d'hameçonnage usurpant l'Assurance maladie : les courriels proviennent de ne-pas-repondre@ameli-remboursements[.]com et renvoient vers hxxps://ameli-remboursements[.]com/espace/connexion.",
     "text", {"email": ["ne-pas-repondre@ameli-remboursements.com"], "url": ["https://ameli-remboursements.com/espace/connexion"]}),
    ("Vulnérabilités exploitées : CVE‑2023‑3519 (Citrix ADC) et CVE-2023-27997 (FortiGate SSL-VPN). Mettre à jour en version 7.2.5 ou ultérieure.",
     "text", {"cve": ["CVE-2023-3519", "CVE-2023-27997"]}),
    ("Adresses IP à bloquer :\n- 141.98.10[.]63\n- 141.98.10[.]64\n- 2a06:1700:0:12::7\nLes adresses 192.168.10.0/24 correspondent au réseau interne de l'établissement.",
     "text", {"ipv4": ["141.98.10.63", "141.98.10.64", "192.168.10.0"], "ipv6": ["2a06:1700:0:12::7"]}),
    (f"Le fichier « Convocation_RH.docm » (SHA-1 : {S1[3]}) télécharge une charge depuis hxxp://telechargement-rh[.]fr/modele.dotm.",
     "text", {"sha1": [S1[3]], "url": ["http://telechargement-rh.fr/modele.dotm"]}),
    ("Le rançongiciel chiffre les fichiers avec l'extension .lockbit et dépose Restore-My-Files.txt ; paiement demandé sur bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297.",
     "text", {"bitcoin": ["bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297"]}),
    ("Domaines enregistrés par l'attaquant (hébergés chez un fournisseur bulletproof) : chu-intranet-acces[.]com, ghtdossiers[.]net, rh-paie-hopital[.]org.",
     "text", {"domain": ["chu-intranet-acces.com", "ghtdossiers.net", "rh-paie-hopital.org"]}),
    # --- traps in report style ---------------------------------------------------------------
    ("MITRE ATT&CK: T1566.001, T1059.001, T1486; tools: Cobalt Strike 4.9, Mimikatz 2.2.0, PsExec v2.43.", "text", {}),
    ("Les journaux (Security.evtx, System.evtx) et la base ntds.dit ont été copiés ; le service VSS a été arrêté à 03:12:45.", "text", {}),
    ("Detection names: Trojan:Win64/CobaltStrike.MK!MTB, Ransom:Win32/LockBit.PA!MTB, HackTool.Win32.Mimikatz.SM.", "text", {}),
    ("The registry key HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\OneDriveUpdate points to C:\\Users\\Public\\odu.exe.", "text", {}),
    ("Le poste W10-ACC-042 (Windows 10 22H2, build 19045.4170) a été isolé ; l'EDR SentinelOne 23.3.2.12 était à jour.", "text", {}),
    ("Scheduled task \\Microsoft\\Windows\\UpdateOrchestrator\\Backup ran powershell.exe -enc SQBFAFgA with -w hidden.", "text", {}),
    # --- wrapped in a PDF export ---------------------------------------------------------------
    ("Payload URL (page 4): hxxps://cdn-delivery-node[.]com/assets/js/\nvendor/jquery.min.js?v=3.7.1 followed by a second stage.",
     "text", {"url": ["https://cdn-delivery-node.com/assets/js/vendor/jquery.min.js?v=3.7.1"]}),
    ("Serveur de dépôt : hxxps://partage-documents-medi-\ncaux[.]fr/depot/upload.php (voir annexe B).",
     "text", {"url": ["https://partage-documents-medi-caux.fr/depot/upload.php"]}),
    ("Related infrastructure: hxxp://91.92.241[.]9/a/\nhxxp://91.92.241[.]10/b/\nboth served the same ZIP.",
     "text", {"url": ["http://91.92.241.9/a/", "http://91.92.241.10/b/"]}),
]
