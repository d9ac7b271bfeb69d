"""Words of the synthetic demo data: fictional place names and French incident texts.

Every establishment and supplier name ends with "(fictif)": none is a real structure. Texts
are short, plausible and generic; they name nobody.
"""

from __future__ import annotations

import random

# Fictional towns: syllables that sound French but are combined at random, so that a
# name is never meant to point at a real place.
_HEADS = [
    "Val", "Mont", "Roche", "Font", "Bel", "Clair", "Haut", "Bois", "Pré", "Lan", "Ker",
    "Pont", "Mar", "Sauve", "Brun", "Cour", "Vaux", "Lor", "Aube", "Gré", "Fer", "Ros",
    "Ven", "Tal", "Ser", "Cal", "Mir", "Oli", "Sen", "Bru",
]
_TAILS = [
    "brune", "fleury", "lac", "mirande", "ville", "sancy", "gardin", "morel", "rivière",
    "bessac", "vignes", "lannoy", "tarin", "selve", "verne", "castel", "nay", "roux",
    "faye", "loubet", "orme", "sorbier", "plaine", "combe", "bourg", "escale", "lieu",
    "oriol", "meyrac", "ravel",
]
_RESIDENCES = [
    "Les Tilleuls", "Les Glycines", "Le Clos des Lilas", "Les Charmilles", "La Roseraie",
    "Les Hortensias", "Le Belvédère", "Les Capucines", "Les Magnolias", "L'Oustal",
    "Les Peupliers", "La Source", "Le Jardin d'Hiver", "Les Mimosas", "Les Cèdres",
]
_SAINTS = ["Saint-Aubin", "Sainte-Lucie", "Saint-Éloi", "Sainte-Hélène", "Saint-Roch",
           "Saint-Gatien", "Sainte-Odile", "Saint-Fiacre", "Saint-Amand", "Sainte-Claire"]
_MEDICO_SOCIAL = ["Foyer d'accueil médicalisé", "Maison d'accueil spécialisée",
                  "Institut médico-éducatif", "Service de soins infirmiers à domicile"]
_OTHER = ["Centre de santé", "Centre de dialyse", "Hospitalisation à domicile"]

FICTIF = "(fictif)"


def town(rng: random.Random, used: set[str]) -> str:
    """A fictional town name not used yet."""
    for _ in range(10_000):
        name = rng.choice(_HEADS) + rng.choice(_TAILS)
        name = name[0] + name[1:].lower()
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("out of fictional town names")


def _de(town_name: str) -> str:
    return f"d'{town_name}" if town_name[0] in "AEIOUÉÈ" else f"de {town_name}"


def establishment_name(category: str, town_name: str, rng: random.Random) -> str:
    """A fictional, clearly labelled name for an establishment of `category`."""
    d = _de(town_name)
    names = {
        "chu": f"CHU {d}",
        "ch": f"Centre hospitalier {d}",
        "clinic": f"Clinique {rng.choice(_SAINTS)} {d}",
        "espic": f"Hôpital privé {rng.choice(_SAINTS)} {d}",
        "clcc": f"Centre de lutte contre le cancer {d}",
        "radiotherapy": f"Centre de radiothérapie {d}",
        "lab": f"Laboratoire de biologie médicale {d}",
        "army": f"Hôpital d'instruction des armées {d}",
        "ehpad": f"EHPAD {rng.choice(_RESIDENCES)} {d}",
        "medico_social": f"{rng.choice(_MEDICO_SOCIAL)} {d}",
        "other": f"{rng.choice(_OTHER)} {d}",
    }
    return f"{names[category]} {FICTIF}"


# (name, what it supplies): the kinds of incident it may be involved in
SUPPLIERS: list[tuple[str, str]] = [
    ("Editeur DPI Alpha (fictif)", "dpi"),
    ("Editeur DPI Bêta (fictif)", "dpi"),
    ("Hébergeur de données de santé Gamma (fictif)", "host"),
    ("Editeur SIL Delta (fictif)", "laboratory"),
    ("Prestataire PACS Epsilon (fictif)", "imaging"),
    ("Opérateur télécom Zêta (fictif)", "telecom"),
    ("Opérateur télécom Êta (fictif)", "telecom"),
    ("Editeur pharmacie Thêta (fictif)", "prescription"),
    ("Infogérant Iota (fictif)", "host"),
    ("Editeur paie et GRH Kappa (fictif)", "administration"),
    ("Messagerie sécurisée Lambda (fictif)", "email"),
    ("Fournisseur biomédical Mu (fictif)", "biomedical"),
]

DESCRIPTIONS: dict[str, list[str]] = {
    "ransomware": [
        "Message de demande de rançon affiché sur plusieurs serveurs ; fichiers chiffrés.",
        "Postes des urgences bloqués, extension de fichiers inconnue, note de rançon.",
        "Le DPI ne répond plus, serveurs de fichiers chiffrés, note de rançon trouvée.",
    ],
    "account_compromise": [
        "Connexions VPN inhabituelles depuis l'étranger sur un compte administrateur.",
        "Boîte de messagerie d'un cadre utilisée pour envoyer des courriels frauduleux.",
        "Compte de l'annuaire utilisé hors horaires pour parcourir les partages réseau.",
    ],
    "system_compromise": [
        "Serveur exposé sur Internet : processus inconnus et connexions sortantes.",
        "Outil d'administration à distance installé sans autorisation sur un serveur.",
    ],
    "phishing": [
        "Campagne de courriels d'hameçonnage imitant la direction, plusieurs clics.",
        "Courriels piégés reçus par le personnel, faux lien de messagerie.",
    ],
    "vulnerability_exploit": [
        "Exploitation d'une vulnérabilité connue du pare-feu, alerte de l'éditeur.",
        "Tentatives d'exploitation sur le portail d'accès distant non mis à jour.",
    ],
    "malware": [
        "Antivirus : cheval de Troie détecté sur des postes du secrétariat médical.",
        "Clé USB infectée branchée sur un poste de l'accueil.",
    ],
    "data_leak": [
        "Fichier de patients publié sur un forum, origine probable : un prestataire.",
        "Comptes rendus médicaux envoyés par erreur à un mauvais destinataire externe.",
    ],
    "fraud": [
        "Faux ordre de virement au nom d'un fournisseur, changement de RIB frauduleux.",
        "Usurpation de l'identité de l'établissement par téléphone auprès des familles.",
    ],
    "ddos": ["Site Internet et prise de rendez-vous indisponibles : déni de service."],
    "defacement": ["Page d'accueil du site Internet remplacée par un message revendicatif."],
    "supplier_failure": [
        "Panne chez l'hébergeur : DPI inaccessible depuis ce matin.",
        "Incident chez l'éditeur du logiciel de laboratoire, résultats non transmis.",
    ],
    "telecom_loss": [
        "Perte du lien opérateur : téléphonie et accès Internet coupés.",
        "Coupure de la fibre, centre de réception des appels d'urgence dégradé.",
    ],
    "critical_malfunction": [
        "Dysfonctionnement grave du serveur d'imagerie, examens non consultables.",
        "Base de données du DPI corrompue après une mise à jour.",
    ],
    "prescription_bug": [
        "Logiciel de prescription : doses affichées erronées après mise à jour.",
        "Anomalie de dispensation : ordonnances dupliquées dans le logiciel de pharmacie.",
    ],
    "hardware_failure": [
        "Panne de climatisation en salle serveurs, arrêt d'urgence des baies.",
        "Coupure électrique prolongée, onduleur défaillant.",
    ],
    "human_error": [
        "Suppression par erreur d'un partage réseau lors d'une opération de maintenance.",
        "Mauvaise configuration d'un pare-feu, accès distants coupés.",
    ],
    "theft_loss": ["Vol d'un ordinateur portable contenant des dossiers de résidents."],
    "other": ["Comportement anormal du réseau, origine en cours d'analyse."],
}

MEASURES = [
    "Isolement des postes touchés, réinitialisation des mots de passe, cellule de crise.",
    "Coupure des accès distants, sauvegardes vérifiées, éditeur contacté.",
    "Passage en procédures dégradées papier, information des services.",
    "Blocage des adresses malveillantes, analyse antivirale complète.",
]
CAUSES = [
    "Mot de passe faible sur un compte exposé.",
    "Correctif de sécurité non appliqué.",
    "Défaillance d'un prestataire.",
    "Erreur de manipulation.",
    "Cause en cours d'analyse.",
]
ROOT_CAUSES = {
    "malicious": [
        "Accès initial par un compte VPN sans second facteur.",
        "Pièce jointe piégée ouverte sur un poste administratif.",
        "Vulnérabilité connue d'un équipement exposé, non corrigée.",
    ],
    "other": [
        "Défaillance matérielle chez le prestataire.",
        "Mise à jour logicielle non testée en préproduction.",
        "Absence de lien de secours opérateur.",
    ],
}
LESSONS = [
    "Généraliser le second facteur sur les accès distants.",
    "Tester la restauration des sauvegardes hors ligne chaque trimestre.",
    "Formaliser les procédures dégradées et les exercer.",
    "Exiger un plan de continuité des prestataires critiques.",
]
FINAL_IMPACTS = [
    "Retour à la normale après quelques jours, sans perte de données.",
    "Activité programmée reportée, données restaurées depuis les sauvegardes.",
    "Aucun impact durable constaté.",
]
PATIENT_POTENTIAL = [
    "Risque de retard de prise en charge pendant l'indisponibilité du DPI.",
    "Risque d'erreur médicamenteuse, contrôles manuels mis en place.",
    "Résultats de laboratoire transmis avec retard, risque de retard diagnostique.",
]
PATIENT_ACTUAL = [
    "Un transfert de patient retardé faute d'accès au dossier (sans séquelle connue).",
    "Une erreur de dose administrée, détectée et prise en charge.",
]
PERIMETERS = [
    "Site principal, services administratifs.",
    "Ensemble du système d'information.",
    "Urgences et bloc opératoire.",
    "Un service, quelques postes.",
]
